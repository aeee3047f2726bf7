package io.berth.cli;

import io.berth.agent.journal.Reaper;
import io.berth.agent.journal.StateDirLock;
import io.berth.agent.journal.TaskJournal;
import io.berth.agent.sandbox.Cgroups;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code berth reap-run DIR}: what {@link RunWatchdog}'s helper runs once a {@code bin/berth run} died — reaps what its
 * agent journalled in {@code DIR} and removes the directory. Not for people: hidden from the help.
 */
@Command(name = "reap-run", hidden = true, description = "Reap what a dead bin/berth run's agent left in DIR.")
final class ReapRunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR")
    Path stateDir;

    @Override
    public Integer call() throws Exception {
        // the dead JVM's lock goes with its last file descriptor; a live agent's never does
        Optional<StateDirLock> lock = Optional.empty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lock.isEmpty() && System.nanoTime() < deadline) {
            lock = StateDirLock.tryAcquire(stateDir);
            if (lock.isEmpty()) {
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
        if (lock.isEmpty()) {
            System.err.println("berth: " + stateDir + " is held by a live agent; nothing reaped");
            return ExitCodes.BERTH_ERROR;
        }
        try (StateDirLock held = lock.get()) {
            new Reaper(stateDir, new TaskJournal(stateDir)).reap().forEach(line -> System.err.println("berth: " + line));
            // and the agent's cgroup directories (anything still in them is killed): nobody else would remove them,
            // the directory they are named after is about to go
            Cgroups.forStateDir(stateDir).removeAgent();
        }
        RunStateDirs.remove(stateDir);
        return ExitCodes.OK;
    }
}
