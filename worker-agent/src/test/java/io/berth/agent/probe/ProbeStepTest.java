package io.berth.agent.probe;

import io.berth.agent.os.ServiceUser;
import io.berth.agent.runtime.ExecContext;
import io.berth.agent.sandbox.Sandbox;
import io.berth.events.config.PortSpec;
import io.berth.events.config.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decision steps, called directly — no timers. */
class ProbeStepTest {
    static final long SELF = ProcessHandle.current().pid();

    @TempDir
    Path dir;

    ExecContext here() {
        return new ExecContext(Sandbox.network(null), dir, Map.of("PATH", "/usr/bin:/bin"));
    }

    static RunSpec run(String path, String... args) {
        return new RunSpec(path, List.of(args), null, null, null);
    }

    @Test
    void ports_succeedOnlyWhenEveryListedPortListens() throws Exception {
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int open = a.getLocalPort();
            int closed;
            try (ServerSocket b = new ServerSocket(0)) {
                closed = b.getLocalPort();
            }

            assertEquals(ProbeResult.success("listening on port " + open),
                    Probes.forPorts(SELF, List.of(new PortSpec("default", open))).check());
            ProbeResult missing = Probes.forPorts(SELF, List.of(new PortSpec("default", open),
                    new PortSpec("admin", closed))).check();
            assertEquals(ProbeResult.failure("not listening on port " + closed + " (admin) yet"), missing);
        }
    }

    @Test
    void ports_ofAProcessThatIsGone_areAnError() {
        ProbeResult r = Probes.forPorts(Integer.MAX_VALUE, List.of(new PortSpec("default", 1))).check();
        assertEquals(ProbeResult.Status.ERROR, r.status());
        assertTrue(r.message().contains("gone"), r.message());
    }

    @Test
    void command_exitZeroIsSuccess_otherwiseTheServiceSaidNo() {
        assertEquals(ProbeResult.Status.SUCCESS,
                Probes.forCommand(run("true"), here(), Duration.ofSeconds(5)).check().status());
        assertEquals(ProbeResult.failure("sh exited 2: 127.0.0.1:5432 - no response"),
                Probes.forCommand(run("/bin/sh", "-c", "echo '127.0.0.1:5432 - no response'; exit 2"), here(),
                        Duration.ofSeconds(5)).check());
    }

    @Test
    void command_thatCannotRun_isAnError() {
        assertEquals(ProbeResult.error("cannot run /nope: no such file"),
                Probes.forCommand(run("/nope"), here(), Duration.ofSeconds(5)).check());
        assertEquals(ProbeResult.Status.ERROR,
                Probes.forCommand(run("no-such-tool"), here(), Duration.ofSeconds(5)).check().status());
    }

    @Test
    void command_outlivingItsTimeout_isKilledAndCountsAsNo() {
        long t0 = System.nanoTime();
        ProbeResult r = Probes.forCommand(run("/bin/sh", "-c", "sleep 5; echo late"), here(), Duration.ofMillis(100))
                .check();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(ProbeResult.failure("sh did not answer within 0.1 s"), r);
        assertTrue(ms < 1000, "returned after " + ms + " ms");
    }

    @Test
    void command_runsAsTheServiceUser() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.berth.agent.os.Users.agentIsRoot());
        Sandbox nobody = new Sandbox(null, new ServiceUser("nobody", 65534, 65534), null, null, List.of(),
                null, false, null);
        ExecContext asNobody = new ExecContext(nobody, Path.of("/"), Map.of("PATH", "/usr/bin:/bin"));
        assertEquals(ProbeResult.success("id: nobody"),
                Probes.forCommand(run("id", "-un"), asNobody, Duration.ofSeconds(5)).check());
    }

    @Test
    void allOf_answersWithTheFirstThatSaysNo() {
        Probe yes = () -> ProbeResult.success("a");
        Probe no = () -> ProbeResult.failure("b");
        Probe broken = () -> ProbeResult.error("c");
        assertEquals(ProbeResult.success("a; a"), Probes.allOf(yes, yes).check());
        assertEquals(ProbeResult.failure("b"), Probes.allOf(yes, no, broken).check());
        assertEquals(ProbeResult.error("c"), Probes.allOf(broken, no).check());
    }

    @Test
    void allOf_goesAtTheSlowestPace() {
        Probe fast = new Probe() {
            public ProbeResult check() {
                return ProbeResult.success("");
            }

            public Pace pace() {
                return Pace.PROC;
            }
        };
        Probe slow = () -> ProbeResult.success("");
        assertEquals(Pace.COMMAND.max(), Probes.allOf(fast, slow).pace().max());
    }

    @Test
    void secondsReadLikeAHumanWroteThem() {
        assertEquals("0.2", CommandProbe.seconds(Duration.ofMillis(200)));
        assertEquals("0.601", CommandProbe.seconds(Duration.ofNanos(601_200_000)));
        assertEquals("5", CommandProbe.seconds(Duration.ofSeconds(5)));
        assertEquals("120", CommandProbe.seconds(Duration.ofSeconds(120)));
    }
}
