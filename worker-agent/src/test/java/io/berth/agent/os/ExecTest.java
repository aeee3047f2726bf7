package io.berth.agent.os;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExecTest {

    @Test
    void capturesOutputAndExitCode() throws Exception {
        Exec.Result r = Exec.run(List.of("/bin/sh", "-c", "echo one; echo two >&2; exit 4"), Duration.ofSeconds(5));
        assertEquals(4, r.exitCode());
        assertEquals("two", r.lastLine());
        assertEquals("one; two", r.oneLine());
        assertFalse(r.timedOut());
    }

    @Test
    void timeoutKillsTheWholeSandbox_includingChildrenHoldingTheOutput() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "a sandbox needs root");
        var command = new io.berth.agent.sandbox.Launcher.Command(io.berth.agent.sandbox.Sandbox.network(null),
                java.nio.file.Path.of("/bin/sh"), List.of("-c", "sleep 30 & sleep 30; echo late"), null,
                java.util.Map.of(), null);
        long t0 = System.nanoTime();
        Exec.Result r = io.berth.agent.sandbox.Launcher.shared().run(command, Duration.ofMillis(100), relay -> { });
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(r.timedOut());
        assertTrue(ms < 2000, ms + " ms");
    }

    @Test
    void keepsOnlyTheEndOfLongOutput() throws Exception {
        Exec.Result r = Exec.run(List.of("/bin/sh", "-c", "seq 1 100000"), Duration.ofSeconds(10));
        assertTrue(r.output().length() <= Exec.MAX_OUTPUT);
        assertEquals("100000", r.lastLine());
    }
}
