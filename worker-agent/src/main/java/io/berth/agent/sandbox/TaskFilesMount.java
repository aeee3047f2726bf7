package io.berth.agent.sandbox;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Mounts;
import io.berth.agent.os.Tools;
import io.berth.agent.os.Users;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where the agent keeps its tasks' files — the services' scratch directories, the tasks' account files and their own
 * {@code /tmp} ({@code tasks/} under the state directory): on a tmpfs of their own, at most {@code size} of memory
 * ({@code BERTH_TASK_FILES_SIZE}, default {@value #DEFAULT_SIZE} of the machine's; {@code off} keeps them on the state
 * directory's disk).
 *
 * <p>Why: each task makes and removes a dozen directories and files there, and on a journalling disk file system
 * that churn (inode allocation, the journal) cost more CPU than the rest of a start and a stop together (the
 * benchmark's figures in the README). The files live no longer than their task, and nothing of them is worth keeping
 * past a reboot, which ends their services anyway. And a service filling its directory or its {@code /tmp} now runs
 * into the cap (ENOSPC) instead of filling the disk that holds the agent's journal and logs.
 *
 * <p>Mounted {@code nosuid,nodev} when the agent starts, if the directory is empty (a previous agent's tmpfs is taken
 * over as it is; files on disk a previous agent left for its services are never covered: they stay on disk until
 * they are gone); unmounted when the agent stops with no task left in it. An agent that is not root, or may not mount,
 * keeps them on disk (its log says which).
 */
public final class TaskFilesMount {
    public static final String SIZE_ENV = "BERTH_TASK_FILES_SIZE";
    public static final String DEFAULT_SIZE = "25%";
    public static final String OFF = "off";
    /** tmpfs's own size syntax: bytes with a k/m/g suffix, or a share of the machine's memory. */
    private static final Pattern SIZE = Pattern.compile("[1-9][0-9]{0,15}[kmgKMG]?|[1-9][0-9]?%|100%");
    private static final String SOURCE = "berth-tasks";

    private TaskFilesMount() {}

    /** The size the operator set ({@value #SIZE_ENV}; unset or blank: {@value #DEFAULT_SIZE}), checked. */
    public static String sizeFrom(Map<String, String> env) {
        String size = env.getOrDefault(SIZE_ENV, "").strip();
        return checkedSize(size.isEmpty() ? DEFAULT_SIZE : size);
    }

    /** {@code size} if tmpfs takes it (it goes into mount's options: no commas), or {@value #OFF}. */
    public static String checkedSize(String size) {
        String s = size.strip();
        if (s.equalsIgnoreCase(OFF)) {
            return OFF;
        }
        if (!SIZE.matcher(s).matches()) {
            throw new IllegalArgumentException(SIZE_ENV + " must be a size such as 8g, 512m or 25% (of the memory), "
                    + "or 'off' to keep the task files on disk: " + size);
        }
        return s;
    }

    /**
     * Puts {@code tasksDir} on a tmpfs of {@code size} (see the class comment). Blocking. Returns what the agent does
     * with its tasks' files, for its log.
     */
    public static String mount(Path tasksDir, String size) throws IOException {
        if (OFF.equals(size)) {
            return "task files on disk in " + tasksDir + " (" + SIZE_ENV + "=off)";
        }
        if (!Users.agentIsRoot()) {
            return "task files on disk in " + tasksDir + " (the agent is not root: no tmpfs)";
        }
        Files.createDirectories(tasksDir);
        if (isTmpfs(tasksDir)) {
            return "task files on the tmpfs a previous agent mounted at " + tasksDir;
        }
        if (!isEmpty(tasksDir)) {
            return "task files on disk in " + tasksDir + ": it holds a previous agent's, which a tmpfs would hide";
        }
        String failed;
        try {
            Exec.Result r = Exec.run(List.of(Tools.MOUNT, "-t", "tmpfs", "-o", "size=" + size + ",mode=0711,nosuid,nodev",
                    SOURCE, tasksDir.toString()), Duration.ofSeconds(10));
            failed = r.ok() ? null : r.oneLine();
        } catch (IOException noMountProgram) {
            failed = noMountProgram.getMessage();
        }
        if (failed != null) { // a root without the right to mount (in a container, say): the disk, as before
            return "task files on disk in " + tasksDir + ": no tmpfs could be mounted there (" + failed + ")";
        }
        return "task files on a tmpfs of " + size + " at " + tasksDir;
    }

    /** Unmounts the tmpfs at {@code tasksDir} if it is one and holds no task any more. Blocking. */
    public static void unmountIfUnused(Path tasksDir) throws IOException {
        if (Files.isDirectory(tasksDir) && isTmpfs(tasksDir) && isEmpty(tasksDir)) {
            unmount(tasksDir);
        }
    }

    /**
     * Unmounts the tmpfs at {@code tasksDir}, whatever it holds: for the state directory of an agent that is gone with
     * its services (a {@code berth run} that was killed), before it is removed. Blocking.
     */
    public static void unmount(Path tasksDir) throws IOException {
        while (Files.isDirectory(tasksDir) && isTmpfs(tasksDir)) {
            Exec.Result r = Exec.run(List.of(Tools.UMOUNT, tasksDir.toString()), Duration.ofSeconds(10));
            if (!r.ok()) {
                throw new IOException("cannot unmount the task files' tmpfs at " + tasksDir + ": " + r.oneLine());
            }
        }
    }

    /** Whether the mount on top at exactly {@code dir} is a tmpfs. */
    static boolean isTmpfs(Path dir) throws IOException {
        Mounts.Mount top = Mounts.at(dir);
        return top != null && top.fsType().equals("tmpfs");
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }
}
