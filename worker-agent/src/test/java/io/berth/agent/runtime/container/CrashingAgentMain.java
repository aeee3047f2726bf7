package io.berth.agent.runtime.container;

import io.berth.agent.supervisor.AgentSettings;
import io.berth.agent.supervisor.Supervisor;
import io.berth.agent.supervisor.TaskLaunch;
import io.berth.agent.testing.RecordingEvents;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.berth.agent.testing.Await.result;

/**
 * An agent in a JVM of its own, for the crash test: claims the state directory, starts one container service
 * for the given task, says {@code READY} once it is ready, then waits to be SIGKILLed.
 * Arguments: engine socket, state directory, task id.
 */
public final class CrashingAgentMain {
    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        AgentSettings settings = AgentSettings.defaults("crash-test").withStateDir(Path.of(args[1]))
                .withDefaultNetworkMode("namespace");
        Vertx vertx = Vertx.vertx();
        Supervisor supervisor = new Supervisor(vertx, settings, ContainerRuntime.forSocket(vertx, settings, socket));
        result(supervisor.reapOrphans());
        ServiceConfig sleeper = new ServiceConfig(null, PodmanEngine.BUSYBOX, null,
                new io.berth.events.config.RunSpec("/bin/sh", List.of("-c", "trap '' TERM; while sleep 1; do :; done"),
                        null, null, null),
                List.of(), Map.of(), List.of(), null, 30);
        RecordingEvents events = new RecordingEvents();
        result(supervisor.start(new TaskLaunch(args[2], 1, null, Map.of("sleeper", sleeper), Map.of()), events));
        events.await("ready", "sleeper", Duration.ofSeconds(30));
        System.out.println("READY");
        System.out.flush();
        new java.util.concurrent.CountDownLatch(1).await(); // until the test SIGKILLs this JVM
    }
}
