package io.berth.events;

import io.berth.events.config.ImageResource;
import io.berth.events.config.InputSpec;
import io.berth.events.config.PortSpec;
import io.berth.events.config.ProbeSpec;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.berth.events.config.ServiceRequest;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.SvcVariables;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskHeartbeat;
import io.berth.events.payload.TaskServicesDegraded;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskStarted;
import java.util.List;
import java.util.Map;

/** One filled-in payload per event type, every optional field set. */
public final class Samples {
    public static final String TASK = "task-42";
    public static final NetworkSpec NETWORK = new NetworkSpec(NetworkSpec.NAMESPACE, "/run/netns/berth-task-42");

    private Samples() {}

    public static ServiceConfig postgres() {
        return new ServiceConfig(null, null,
                new ImageResource("registry-image", Map.of("repository", "postgres")),
                new RunSpec("postgres", List.of("-D", "/data"), ".", "postgres", null),
                List.of(new InputSpec("seed-sql", "seed")),
                Map.of("PGDATA", "/data"),
                List.of(new PortSpec(PortSpec.DEFAULT, 5432)),
                new ProbeSpec(RunSpec.ofProcess("pg_isready", "-h", "127.0.0.1"), 10, 5),
                10);
    }

    public static ServiceConfig compose() {
        return new ServiceConfig("docker-compose", null, null, RunSpec.ofMessage("up"),
                List.of(new InputSpec("concourse", null), new InputSpec("ci", null)),
                Map.of("files", List.of("concourse/docker-compose.yml")),
                List.of(new PortSpec("web", 8080)), ProbeSpec.ports(), 30);
    }

    /** Payload per event type. */
    public static Map<String, Object> payloads() {
        return Map.ofEntries(
                Map.entry(EventTypes.TASK_STARTED, new TaskStarted(TASK, "worker-1", NETWORK, List.of(
                        new ServiceRequest("postgres", null, postgres(), "postgres:16", Map.of("POSTGRES_PASSWORD", "secret")),
                        new ServiceRequest("concourse", null, compose(), null, Map.of()),
                        new ServiceRequest("redis", "ci/services/redis.yml", null, null, Map.of())),
                        Map.of("seed-sql", "/tmp/build/seed-sql"), 30)),
                Map.entry(EventTypes.TASK_ENDED, new TaskEnded(TASK, "succeeded")),
                Map.entry(EventTypes.TASK_HEARTBEAT, new TaskHeartbeat(TASK, 30)),
                Map.entry(EventTypes.TASK_SERVICES_DEGRADED, new TaskServicesDegraded(TASK, "worker-1", "postgres", 9,
                        1_700_000_000_900L, List.of("FATAL: terminating"))),
                Map.entry(EventTypes.SERVICE_STARTING, new ServiceStarting(TASK, "postgres", "worker-1", 1, 4242L)),
                Map.entry(EventTypes.SERVICE_PROBE, new ServiceProbe(TASK, "postgres", "worker-1", 1, 3, "failure",
                        "no response")),
                Map.entry(EventTypes.SERVICE_READY, new ServiceReady(TASK, "postgres", "worker-1", 1, NETWORK,
                        "127.0.0.1", Map.of("default", 5432), 1_700_000_000_000L, 1_700_000_000_120L,
                        1_700_000_000_150L)),
                Map.entry(EventTypes.SERVICE_FAILED, new ServiceFailed(TASK, "postgres", "worker-1", 1,
                        "startup probe failed 10 times", List.of("FATAL: data directory missing"))),
                Map.entry(EventTypes.SERVICE_EXITED, new ServiceExited(TASK, "postgres", "worker-1", 1, 1,
                        List.of("terminated"))),
                Map.entry(EventTypes.SERVICE_STOPPED, new ServiceStopped(TASK, "postgres", "worker-1", 1, "SIGTERM",
                        120, 0)),
                Map.entry(EventTypes.TASK_SERVICES_READY, new TaskServicesReady(TASK, "worker-1", NETWORK,
                        Map.of("postgres", SvcVariables.of("127.0.0.1", Map.of("default", 5432, "metrics", 9187))))),
                Map.entry(EventTypes.TASK_SERVICES_FAILED, new TaskServicesFailed(TASK, "worker-1", "postgres",
                        "startup probe failed 10 times", List.of("FATAL: data directory missing"))),
                Map.entry(EventTypes.TASK_SERVICES_RELEASED, new TaskServicesReleased(TASK, "worker-1", List.of(
                        new TaskServicesReleased.ServiceRelease("postgres", "SIGTERM", 85, 0),
                        new TaskServicesReleased.ServiceRelease("redis", "SIGKILL", 10_004, 137),
                        new TaskServicesReleased.ServiceRelease("crashy", "none", 0, 9, 1_700_000_000_900L)))));
    }
}
