package io.berth.agent.sandbox;

import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Users;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The launch server as the agent uses it: real forks, a real network namespace, real signals. Needs root. */
class LaunchServerTest {
    private static final long UID = 299_970;

    @TempDir
    Path dir;
    private LaunchServer server;
    private final List<Path> namespaces = new ArrayList<>();
    private final List<ProcessHandle> strays = new ArrayList<>();

    @BeforeAll
    static void root() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @BeforeEach
    void start() throws IOException {
        server = LaunchServer.start(Launcher.shared().binary());
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        strays.forEach(ProcessHandle::destroyForcibly);
        for (Path ns : namespaces) {
            Launcher.shared().deleteNetworkNamespace(ns);
        }
    }

    private Path namespace(String name) throws IOException {
        Path ns = Path.of("/run/netns", "berth-test-" + name + "-" + ProcessHandle.current().pid());
        server.createNetworkNamespace(ns, null);
        namespaces.add(ns);
        return ns;
    }

    private LaunchServer.Started sh(Path log, String script, String... options) throws IOException {
        List<String> argv = new ArrayList<>(List.of(options));
        argv.addAll(List.of("--uid", Long.toString(UID), "--gid", Long.toString(UID), "--log", log.toString(),
                "--", "/bin/sh", "-c", script));
        return server.start(argv, Map.of("GREETING", "hello"));
    }

    @Test
    void startsAServiceInItsNamespaceAsTheTaskAndReportsItsExitStatus() throws Exception {
        Path ns = namespace("start");
        Path log = dir.resolve("service.log");
        LaunchServer.Started s = sh(log, "echo $GREETING; id -u; readlink /proc/self/ns/net; echo $$; exit 7",
                "--netns", ns.toString());

        assertThat(s.exit().get(10, TimeUnit.SECONDS)).isEqualTo(7);
        List<String> lines = Files.readAllLines(log);
        assertThat(lines.get(0)).isEqualTo("hello");
        assertThat(lines.get(1)).isEqualTo(Long.toString(UID));
        assertThat(lines.get(2)).isEqualTo("net:[" + Files.getAttribute(ns, "unix:ino") + "]");
        assertThat(lines.get(3)).isEqualTo("2"); // under its own init, in a PID namespace of its own
    }

    @Test
    void thePidAStartAnswersWith_isInTheServicesNetworkAlready() throws Exception {
        // the agent probes a service's ports in /proc/PID/net from the moment it has the pid: a relay that entered
        // its namespace only after the answer showed the host's ports in between (and walked the host's whole TCP
        // table, ~1 ms a read)
        Path ns = namespace("born");
        Object inNamespace = Files.getAttribute(ns, "unix:ino");
        for (int i = 0; i < 20; i++) {
            LaunchServer.Started s = sh(dir.resolve("born-" + i + ".log"), "exec sleep 30", "--netns", ns.toString());
            Object seen = Files.getAttribute(Path.of("/proc", Long.toString(s.pid()), "ns", "net"), "unix:ino");
            server.signal(s.pid(), 9);
            s.exit().get(10, TimeUnit.SECONDS);
            assertThat(seen).as("start %d: the answered pid's network namespace", i).isEqualTo(inNamespace);
        }
    }

    @Test
    void aStartIntoANamespaceThatCannotBeEntered_isRefused_andTheServerStaysInTheAgentsNetwork() throws Exception {
        assertThatThrownBy(() -> sh(dir.resolve("none.log"), "exit 0", "--netns", dir.resolve("no-such").toString()))
                .isInstanceOf(LaunchServer.RefusedException.class).hasMessageContaining("no-such");

        Path log = dir.resolve("home.log");
        LaunchServer.Started s = server.start(List.of("--log", log.toString(), "--unprivileged", "--",
                "/bin/readlink", "/proc/self/ns/net"), Map.of());
        assertThat(s.exit().get(10, TimeUnit.SECONDS)).isZero();
        assertThat(Files.readString(log).strip()).isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString());
    }

    @Test
    void signalsReachOnlyServicesItStartedAndHasNotReaped() throws Exception {
        Path log = dir.resolve("s.log");
        LaunchServer.Started s = sh(log, "trap 'exit 3' TERM; echo ready; while :; do sleep 0.05; done");
        Process stranger = new ProcessBuilder("sleep", "30").start();
        strays.add(stranger.toHandle());

        assertThat(server.signal(stranger.pid(), 9)).isFalse(); // not its child: refused, not killed
        assertThat(server.signal(1, 9)).isFalse();
        await().atMost(10, TimeUnit.SECONDS).until(() -> Files.readString(log).contains("ready"));
        assertThat(server.signal(s.pid(), 15)).isTrue();
        assertThat(s.exit().get(10, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(server.signal(s.pid(), 9)).isFalse(); // reaped: its pid may belong to anyone now
        assertThat(stranger.isAlive()).isTrue();
    }

    @Test
    void aServiceThatDiesWithTheAgentDiesWithTheServerAnyOtherLivesOn() throws Exception {
        LaunchServer.Started bound = sh(dir.resolve("bound.log"), "exec sleep 30", "--die-with-parent");
        LaunchServer.Started free = sh(dir.resolve("free.log"), "exec sleep 30");
        ProcessHandle freeRelay = ProcessHandle.of(free.pid()).orElseThrow();
        strays.add(freeRelay);
        ProcessHandle boundRelay = ProcessHandle.of(bound.pid()).orElseThrow();
        strays.add(boundRelay);

        server.close(); // what the agent's exit does: the server reads the end of its requests

        // dead; its zombie waits for the host's init, which may take its time
        await().atMost(10, TimeUnit.SECONDS).until(() -> !ProcessTable.isLive(bound.pid()));
        assertThat(freeRelay.isAlive()).isTrue();
        assertThat(free.exit()).isNotDone();
        freeRelay.destroyForcibly();
        // the server that knew its status is gone: the exit is seen, without a code
        assertThat(free.exit().get(15, TimeUnit.SECONDS)).isEqualTo(LaunchServer.UNKNOWN_EXIT_CODE);
    }

    @Test
    void aBoundServiceDiesEvenWhenTheServerIsGoneBeforeItCouldArmItsDeathSignal() throws Exception {
        server.close();
        // the race: the server reads the end of its requests while its newest child is still reading its arguments
        for (int i = 0; i < 20; i++) {
            server = LaunchServer.start(Launcher.shared().binary());
            LaunchServer.Started bound = sh(dir.resolve("bound-" + i + ".log"), "exec sleep 30", "--die-with-parent");
            ProcessHandle relay = ProcessHandle.of(bound.pid()).orElse(null);
            if (relay != null) strays.add(relay);
            server.close();
            await().atMost(10, TimeUnit.SECONDS).until(() -> !ProcessTable.isLive(bound.pid()));
        }
    }

    @Test
    void aRefusedNamespaceLeavesTheServerInTheAgentsNetwork() throws Exception {
        Path ns = namespace("twice");
        assertThatThrownBy(() -> server.createNetworkNamespace(ns, null))
                .isInstanceOf(LaunchServer.RefusedException.class).hasMessageContaining("File exists");
        assertThatThrownBy(() -> server.createNetworkNamespace(dir.resolve("x"), Path.of("/nonexistent")))
                .hasMessageContaining("/nonexistent");

        Path log = dir.resolve("where.log");
        LaunchServer.Started s = server.start(List.of("--log", log.toString(), "--unprivileged", "--",
                "/bin/readlink", "/proc/self/ns/net"), Map.of());
        assertThat(s.exit().get(10, TimeUnit.SECONDS)).isZero();
        assertThat(Files.readString(log).strip()).isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString());
    }

    @Test
    void outputIsHeldAtItsLimitWhileTheProgramWrites() throws Exception {
        Path log = dir.resolve("flood.log");
        LaunchServer.Started s = server.start(List.of("--log-limit", "65536", "--log", log.toString(), "--uid",
                Long.toString(UID), "--gid", Long.toString(UID), "--", "/bin/sh", "-c",
                "head -c 50000000 /dev/zero | tr '\\0' x; echo; echo last words"), Map.of());

        assertThat(s.exit().get(30, TimeUnit.SECONDS)).isZero();
        // the cap, a note where a chunk fit again after drops (written unchecked), and the closing note
        assertThat(Files.size(log)).isLessThanOrEqualTo(65536 + 2 * 100);
        assertThat(Files.readString(log)).containsPattern("\\[berth: \\d+ bytes of output dropped: the log was at its cap\\]");
    }

    @Test
    void withOneHierarchyAtTheViewsRoot_theServicesCgroupIsAllItSeesThere() throws Exception {
        // a host with cgroup v2 alone: its one hierarchy mounted here (the same one as this host's), a service's
        // cgroup in it beside another
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        Path root = Files.createDirectory(dir.resolve("cgroup"));
        var mounted = io.berth.agent.os.Exec.run(List.of("mount", "-t", "cgroup2", "none", root.toString()),
                java.time.Duration.ofSeconds(10));
        assertThat(mounted.ok()).as(mounted.output()).isTrue();
        Path own = root.resolve("berth-test-view-" + ProcessHandle.current().pid());
        Path other = root.resolve("berth-test-other-" + ProcessHandle.current().pid());
        try {
            Files.createDirectory(own);
            Files.createDirectory(other);
            Path log = dir.resolve("view.log");
            LaunchServer.Started s = sh(log, "ls " + root + "; echo in $(grep ^0:: /proc/self/cgroup)",
                    "--cgroup", own.toString(), "--cgroup-view", root.toString());

            assertThat(s.exit().get(10, TimeUnit.SECONDS)).isZero();
            List<String> seen = Files.readAllLines(log);
            assertThat(seen).contains("cgroup.procs", "in 0::/" + own.getFileName())
                    .noneMatch(l -> !l.startsWith("in ") && l.contains("berth-test-"));
        } finally {
            await().atMost(10, TimeUnit.SECONDS).ignoreExceptions().until(() -> {
                Files.deleteIfExists(own);
                return true;
            });
            Files.deleteIfExists(other);
            io.berth.agent.os.Exec.run(List.of("umount", "--lazy", root.toString()), java.time.Duration.ofSeconds(10));
        }
    }

    @Test
    void aRunPastItsTimeoutIsKilled() throws Exception {
        Launcher.Command hang = new Launcher.Command(Sandbox.network(null), Path.of("/bin/sh"),
                List.of("-c", "echo started; exec sleep 30"), null, Map.of(), null);
        long t0 = System.nanoTime();
        io.berth.agent.os.Exec.Result slow = Launcher.shared().run(hang, java.time.Duration.ofMillis(500), relay -> { });
        assertThat(slow.timedOut()).isTrue();
        assertThat(slow.output()).contains("started");
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(10));
    }
}
