package io.berth.cli;

import java.nio.file.Path;
import java.util.Optional;

/** What the tests' embedded stacks leave behind. */
final class TestStacks {
    private TestStacks() {}

    /**
     * Stops {@code stack} and removes its agent's state directory (under {@code /var/lib/berth/agents}, named after
     * the test's worker), as {@code bin/berth run} removes its own: the tests leave no agents' state on the machine.
     */
    static void close(EmbeddedStack stack) {
        Optional<Path> stateDir = stack.agentStateDir();
        stack.close();
        stateDir.ifPresent(RunStateDirs::remove);
    }
}
