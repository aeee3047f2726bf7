package io.berth.agent.runtime.container;

import io.berth.agent.os.Exec;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.berth.agent.testing.Await.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tests' engine itself: one that stops answering is started again and the call answered. */
class PodmanEngineTest {
    @Test
    void anEngineThatStopsAnswering_isStartedAgain_andTheCallAnswered() throws Exception {
        String missing = PodmanEngine.unavailable();
        Assumptions.assumeTrue(missing == null, missing);
        Vertx vertx = Vertx.vertx();
        PodmanEngine podman = PodmanEngine.start(vertx);
        EngineClient engine = new EngineClient(vertx, podman.socket);
        try {
            long stuck = podman.pid();
            // a stand-in for podman's own deadlock: the service is there but answers nothing
            assertTrue(Exec.run(List.of("/bin/kill", "-STOP", Long.toString(stuck)), Duration.ofSeconds(5)).ok());

            assertEquals(List.of(), podman.containersOf(engine, Path.of("/nonexistent/berth-state")));

            assertNotEquals(stuck, podman.pid());
            assertFalse(ProcessHandle.of(stuck).map(ProcessHandle::isAlive).orElse(false), "the stuck one is gone");
            // where it was stuck: every goroutine's stack, kept beside its log
            Path dump = Path.of(podman.logFile + ".goroutines-" + stuck);
            assertTrue(Files.readString(dump).contains("goroutine 1 ["), "a goroutine dump in " + dump);
            Files.delete(dump);
        } finally {
            podman.stop();
            result(vertx.close());
        }
    }
}
