package io.berth.agent.runtime.container;

import io.berth.agent.AgentSettings;
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
 * An agent in a JVM of its own, for the crash tests: claims the state directory, starts one container service
 * for the given task, says {@code READY} once it is ready, then waits to be SIGKILLed.
 * Arguments: engine socket, state directory, task id, and {@code reattachable} to journal the start's command (the
 * task id) with a service that stops on SIGTERM, so that the next agent can take it over.
 */
public final class CrashingAgentMain {
    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        AgentSettings settings = AgentSettings.defaults("crash-test").withStateDir(Path.of(args[1]))
                .withDefaultNetworkMode("namespace");
        Vertx vertx = Vertx.vertx();
        Supervisor supervisor = new Supervisor(vertx, settings, ContainerRuntime.forSocket(vertx, settings, socket));
        result(supervisor.reapOrphans());
        boolean reattachable = args.length > 3 && args[3].equals("reattachable");
        RecordingEvents events = new RecordingEvents();
        TaskLaunch launch = reattachable ? reattachableLaunch(args[2])
                : new TaskLaunch(args[2], 1, null, Map.of("sleeper", sleeper("trap '' TERM; while sleep 1; do :; done",
                        30)), Map.of());
        result(supervisor.start(launch, events));
        events.await("ready", "sleeper", Duration.ofSeconds(30));
        System.out.println("READY");
        System.out.flush();
        new java.util.concurrent.CountDownLatch(1).await(); // until the test SIGKILLs this JVM
    }

    /** A launch whose command is its task id; its service says hello, then sleeps until SIGTERM. */
    static TaskLaunch reattachableLaunch(String taskId) {
        return new TaskLaunch(taskId, 1, null, Map.of("sleeper", sleeper("echo hello; trap 'exit 0' TERM; "
                + "while sleep 1; do :; done", 5)), Map.of(), taskId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static ServiceConfig sleeper(String script, double grace) {
        return new ServiceConfig(null, PodmanEngine.BUSYBOX, null,
                new io.berth.events.config.RunSpec("/bin/sh", List.of("-c", script), null, null, null),
                List.of(), Map.of(), List.of(), null, grace);
    }
}
