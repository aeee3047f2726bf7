package io.berth.cli;

import io.berth.agent.StateLayout;
import io.berth.agent.journal.StateDirLock;
import io.berth.agent.sandbox.TaskFilesMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The state directories of {@code bin/berth run}'s in-process agents ({@code .../agents/local-<pid>}: scratch space,
 * service logs, journal). A run that released its services removes its own when it ends; a run that could not (it
 * was killed) leaves it to the next run, whose agent reaps what it journalled when it starts (the services of dead
 * sibling agents), after which the directory itself is removed here.
 */
final class RunStateDirs {
    private static final Pattern RUN_DIR = Pattern.compile("local-(\\d+)");

    private RunStateDirs() {}

    /** Removes this run's state directory (its agent is stopped, its services released). */
    static void remove(Path own) {
        try { // the agent unmounts it when it stops with every task released; one that could not release all did not
            TaskFilesMount.unmount(StateLayout.of(own).tasks());
        } catch (IOException e) {
            // the directory then stays, as what a run cannot remove does
        }
        deleteTree(own);
    }

    /**
     * Removes the directories of runs that are gone: named {@code local-<pid>} with no such process, and no live
     * agent holding their lock. Call once the own agent has started (it has reaped their services by then).
     */
    static void removeDeadRuns(Path own) {
        Path agents = own.getParent();
        if (agents == null || !Files.isDirectory(agents)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(agents)) {
            dirs.filter(dir -> !dir.equals(own) && isDeadRun(dir)).forEach(RunStateDirs::removeIfUnclaimed);
        } catch (IOException e) {
            // leftovers stay for the next run; nothing depends on their removal
        }
    }

    private static boolean isDeadRun(Path dir) {
        Matcher m = RUN_DIR.matcher(dir.getFileName().toString());
        return m.matches() && isGone(m.group(1));
    }

    /** Whether the process {@code pid} (digits) no longer runs. */
    static boolean isGone(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(p -> !p.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void removeIfUnclaimed(Path dir) {
        try {
            Optional<StateDirLock> lock = StateDirLock.tryAcquire(dir);
            if (lock.isEmpty()) {
                return; // a live agent uses it after all (a recycled pid)
            }
            lock.get().close();
            // its services died with it, but the tmpfs of its task files stays mounted until someone unmounts it
            TaskFilesMount.unmount(StateLayout.of(dir).tasks());
            deleteTree(dir);
        } catch (IOException e) {
            // left for the next run
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a file still in use: the rest goes, the next run tries again
                }
            });
        } catch (IOException e) {
            // the next run tries again
        }
    }
}
