package io.berth.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputRootsTest {
    @TempDir
    Path dir;

    @Test
    void pathsOutsideTheRoots_theAgentsState_dotDot_andLinksLeadingOut_areRefused() throws Exception {
        Path root = Files.createDirectories(dir.resolve("builds"));
        Path state = Files.createDirectories(root.resolve("agent-state"));
        Path artifact = Files.createDirectories(root.resolve("b1/src"));
        Path link = Files.createSymbolicLink(root.resolve("b1/etc"), Path.of("/etc"));
        InputRoots roots = InputRoots.parse(root.toString()).excluding(state);

        assertThat(roots.refusalOnThisMachine(artifact.toString())).isNull();
        assertThat(roots.refusal("/etc")).contains("not under an input root").contains(root.toString());
        assertThat(roots.refusal(root + "/../../etc")).contains("'..'");
        assertThat(roots.refusal("relative/path")).contains("not an absolute path");
        assertThat(roots.refusal(state.resolve("tasks/other").toString())).contains("agent's own state");
        assertThat(roots.refusal(link.toString())).as("as written, the link is under the root").isNull();
        assertThat(roots.refusalOnThisMachine(link.toString())).contains("/etc").contains("not under an input root");
        assertThat(InputRoots.none().refusal(artifact.toString())).contains("BERTH_INPUT_ROOTS");
        assertThat(InputRoots.of(List.of(root)).refusalOnThisMachine(root.resolve("missing").toString()))
                .contains("does not exist");
    }
}
