package io.berth.agent.sandbox;

import io.berth.agent.os.ServiceUser;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a service's programs run — the service itself, its command probe, its prototype's messages — so each of them
 * sees exactly what the service sees.
 *
 * @param netns    network namespace path, or null for the agent's network (host mode)
 * @param identity the task's user, or null to stay the agent's user (an agent that is not root)
 * @param files    the task's own files bound over the host's ({@code /etc/passwd}, {@code /etc/group}, the
 *                 temporary directories), or null
 * @param cgroup   the service's cgroup (limits, kill-all, accounting), which its programs join and see alone of the
 *                 host's; null: none
 * @param inputs   task artifacts bound into the service's directory (file permissions decide who may write them)
 * @param logLimit the size the service's log file may reach before its output is held back (until the agent
 *                 rotates it), or null for no limit
 * @param dieWithAgent whether the service is killed when the agent dies (an agent embedded in {@code berth run}),
 *                 rather than re-attached by the next one
 * @param enter    the launcher pid of the running service whose sandbox a program joins (its probe, a prototype's
 *                 down), or null to make a sandbox of its own
 */
public record Sandbox(String netns, ServiceUser identity, TaskFiles files, ServiceCgroup cgroup,
                      List<Bind> inputs, Long logLimit, boolean dieWithAgent, Long enter) {
    public Sandbox {
        inputs = List.copyOf(inputs);
    }

    /**
     * The task's own files, which its services see in place of the host's; each may be null (the host's stays).
     *
     * @param passwd {@code /etc/passwd} with the task's user in it (initdb asks for its name)
     * @param group  {@code /etc/group} likewise
     * @param tmp    the task's temporary directory, seen as {@code /tmp}, {@code /var/tmp} and {@code /run/lock}:
     *               the host's are shared and world-writable, so every task could reach what another left there
     */
    public record TaskFiles(Path passwd, Path group, Path tmp) {}

    /**
     * The host's shared, world-writable temporary directories, which a sandbox with a task's {@code tmp} covers
     * ({@code berth-launch}'s {@code SHARED_TMP}: the same list).
     */
    public static final List<Path> SHARED_TMP = List.of(Path.of("/tmp"), Path.of("/var/tmp"), Path.of("/run/lock"));

    /**
     * Whether {@code path} (absolute, normalised), or where its links lead, lies where this sandbox's programs see
     * their task's own instead (the host's temporary directories).
     */
    public boolean hides(Path path) {
        if (files == null || files.tmp() == null) {
            return false;
        }
        if (SHARED_TMP.stream().anyMatch(path::startsWith)) {
            return true;
        }
        try {
            Path real = path.toRealPath();
            return SHARED_TMP.stream().anyMatch(real::startsWith);
        } catch (java.io.IOException e) {
            return false; // not there: the start says so
        }
    }

    /** The same sandbox with the host's temporary directories: what it runs lies in one of them. */
    public Sandbox withHostTmp() {
        return files == null || files.tmp() == null ? this : new Sandbox(netns, identity,
                new TaskFiles(files.passwd(), files.group(), null), cgroup, inputs, logLimit, dieWithAgent, enter);
    }

    /** A bind of {@code source} (a task artifact) at {@code target} (inside the service's directory). */
    public record Bind(Path source, Path target) {}

    /** Only a network: the view of a service that runs elsewhere (a container), for its port probe. */
    public static Sandbox network(String netns) {
        return new Sandbox(netns, null, null, null, List.of(), null, false, null);
    }

    /** The same sandbox in network namespace {@code path} (null: the agent's network). */
    public Sandbox inNetwork(String path) {
        return new Sandbox(path, identity, files, cgroup, inputs, logLimit, dieWithAgent, enter);
    }

    /** The same sandbox, joined by programs that run next to the service launched as {@code launcherPid}. */
    public Sandbox entering(long launcherPid) {
        return new Sandbox(netns, identity, files, cgroup, inputs, logLimit, dieWithAgent, launcherPid);
    }

    void appendOptions(List<String> argv, boolean privileged) {
        if (!privileged) {
            argv.add("--unprivileged");
            return;
        }
        if (dieWithAgent) {
            argv.add("--die-with-parent");
        }
        if (enter != null) {
            argv.add("--enter");
            argv.add(Long.toString(enter));
        } else if (netns != null) {
            argv.add("--netns");
            argv.add(netns);
        }
        if (identity != null) {
            argv.add("--uid");
            argv.add(Integer.toString(identity.uid()));
            argv.add("--gid");
            argv.add(Integer.toString(identity.gid()));
        }
        if (files != null && enter == null) { // one entering a sandbox sees its mounts already
            option(argv, "--passwd", files.passwd());
            option(argv, "--group", files.group());
            option(argv, "--tmp", files.tmp());
        }
        if (enter == null && logLimit != null) {
            argv.add("--log-limit");
            argv.add(Long.toString(logLimit));
        }
        if (cgroup != null) {
            for (Path dir : cgroup.dirs()) {
                argv.add("--cgroup");
                argv.add(dir.toString());
            }
            if (enter == null && !cgroup.dirs().isEmpty()) { // one entering a sandbox sees its view already
                option(argv, "--cgroup-view", cgroup.hostRoot());
            }
        }
        for (Bind bind : enter == null ? inputs : List.<Bind>of()) {
            argv.add("--bind");
            argv.add(bind.source().toString());
            argv.add("--to");
            argv.add(bind.target().toString());
        }
    }

    private static void option(List<String> argv, String name, Path value) {
        if (value != null) {
            argv.add(name);
            argv.add(value.toString());
        }
    }
}
