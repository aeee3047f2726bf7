package io.berth.agent.testing;

import io.berth.agent.StateLayout;
import io.berth.agent.os.TaskIds;
import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;
import io.berth.agent.sandbox.Cgroups;
import io.berth.agent.sandbox.TaskFilesMount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * What a test created on the machine, removed in {@code @AfterEach} whatever happened: processes in the
 * tasks' namespaces, the namespaces, process groups, and the state directory (with the tasks' tmpfs in it).
 */
public final class Cleanup {
    private final List<String> namespaces = new ArrayList<>();
    private final List<Long> groups = new ArrayList<>();
    private Path stateDir;

    /**
     * A fresh state dir the service users can traverse (JUnit's @TempDir is 0700); as root, not under /tmp, which
     * in a sandbox is the task's own (an agent with its state under /tmp leaves services the host's).
     */
    public Path stateDir() throws IOException {
        if (stateDir == null) {
            Path parent = io.berth.agent.os.Users.agentIsRoot()
                    ? Files.createDirectories(Path.of("/var/lib/berth-test")) : Path.of("/tmp");
            stateDir = Files.createDirectory(parent.resolve("berth-test-" + UUID.randomUUID().toString().substring(0, 8)),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        }
        return stateDir;
    }

    /** A task id whose namespace is deleted after the test; unique per call. */
    public String taskId(String label) {
        String id = "test-" + label + "-" + UUID.randomUUID();
        namespaces.add(TaskIds.namespaceName(id));
        return id;
    }

    public void namespace(String name) {
        namespaces.add(name);
    }

    /** A service's launcher (a {@code starting} event's pid), killed after the test with its whole sandbox. */
    public void processGroup(long launcherPid) {
        groups.add(launcherPid);
    }

    /** A launch server: the launcher as a child of this JVM (its relays are the server's children). */
    private static boolean isLaunchServer(ProcessHandle h, ProcessHandle self) {
        return h.parent().map(p -> p.pid() == self.pid()).orElse(false)
                && h.info().command().map(c -> c.substring(c.lastIndexOf('/') + 1).startsWith("berth-launch"))
                        .orElse(false);
    }

    public void run() throws IOException {
        // anything a test started and did not stop: services on the host network, probe commands — but not this
        // JVM's launch servers (the shared one serves the next test, whose first request raced its being killed)
        ProcessHandle self = ProcessHandle.current();
        self.descendants().filter(h -> !h.info().command().orElse("").endsWith("/java"))
                .filter(h -> !isLaunchServer(h, self))
                .forEach(ProcessHandle::destroyForcibly);
        for (long launcher : groups) { // one a crashed agent left: its sandbox dies with it
            ProcessHandle.of(launcher).ifPresent(ProcessHandle::destroyForcibly);
        }
        for (String ns : namespaces) {
            if (Files.exists(Path.of("/run/netns", ns))) {
                Exec.run(List.of(Tools.IP, "netns", "del", ns), Duration.ofSeconds(10));
            }
        }
        if (stateDir != null) {
            Cgroups.forStateDir(stateDir).removeAgent();
        }
        if (stateDir != null && Files.exists(stateDir)) {
            TaskFilesMount.unmount(StateLayout.of(stateDir).tasks()); // a test's (or its agent's) tmpfs: not deletable
            try (Stream<Path> walk = Files.walk(stateDir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
