package io.berth.agent.runtime.container;

import io.berth.agent.StateLayout;
import io.berth.agent.AgentSettings;
import io.berth.agent.logs.ServiceLog;
import io.berth.agent.runtime.ExecContext;
import io.berth.agent.runtime.ServiceLaunch;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.runtime.ServiceRuntime;
import io.berth.agent.runtime.ServiceStartException;
import io.berth.agent.sandbox.Sandbox;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Runs a service's image as a container through the Docker Engine API (docker, or podman's
 * {@code podman system service}): the image is looked up and pulled if missing, the container joins the
 * task's network namespace, gets the service's environment, inputs (read-only), resource limits and Berth's
 * labels, and its output goes to the service's log. Containers of crashed agents are found by their labels
 * and removed ({@link #reapOrphans}).
 */
public final class ContainerRuntime implements ServiceRuntime {
    private static final System.Logger LOG = System.getLogger(ContainerRuntime.class.getName());

    private final Vertx vertx;
    private final AgentSettings settings;
    private final EngineClient engine;
    private final JsonArray ulimits = HostLimits.ulimits();
    private final ContainerUsers users;

    /**
     * @throws IllegalArgumentException if {@code users} maps containers onto the tasks' own uids
     */
    public ContainerRuntime(Vertx vertx, AgentSettings settings, EngineClient engine, ContainerUsers users) {
        users.checkApart(settings.sandbox());
        this.vertx = vertx;
        this.settings = settings;
        this.engine = engine;
        this.users = users;
        LOG.log(Level.INFO, "container engine at {0}: {1}", engine.socket(), users.describe());
    }

    /**
     * A container runtime talking to the engine socket at {@code socket}, with the operator's rule on root from the
     * environment ({@link ContainerUsers#fromEnvironment}).
     */
    public static ContainerRuntime forSocket(Vertx vertx, AgentSettings settings, Path socket) {
        return forSocket(vertx, settings, socket, ContainerUsers.fromEnvironment(System.getenv()));
    }

    public static ContainerRuntime forSocket(Vertx vertx, AgentSettings settings, Path socket, ContainerUsers users) {
        return forEngine(vertx, settings, new EngineClient(vertx, socket), users);
    }

    /** A container runtime on a client the agent shares with the prototypes it trusts with the engine. */
    public static ContainerRuntime forEngine(Vertx vertx, AgentSettings settings, EngineClient engine,
                                             ContainerUsers users) {
        return new ContainerRuntime(vertx, settings, engine, users);
    }

    /**
     * The selection rule: a service config with an image ({@code image:} or {@code image_resource:}) and no
     * prototype {@code type} runs as a container; its {@code run}, if any, overrides the image's entrypoint
     * ({@code run.path}) and command ({@code run.args}).
     */
    public static boolean takes(ServiceConfig config) {
        return config.type() == null && (config.image() != null || config.imageResource() != null);
    }

    public EngineClient engine() {
        return engine;
    }

    @Override
    public Future<ServiceProcess> start(ServiceLaunch launch) {
        Context context = vertx.getOrCreateContext();
        String service = launch.service();
        String image;
        try {
            image = ImageRef.of(launch.config());
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(new ServiceStartException(service, e.getMessage()));
        }
        Future<ServiceProcess> started = ensureImage(service, image)
                .compose(info -> createAndStart(context, launch, image, info))
                .recover(e -> Future.failedFuture(e instanceof ServiceStartException ? e
                        : new ServiceStartException(service, e.getMessage(), e)));
        return onContext(context, started);
    }

    /** The image's configuration; a missing image is pulled once, and its failure names the image. */
    private Future<JsonObject> ensureImage(String service, String image) {
        return engine.inspectImage(image).recover(e -> {
            if (!EngineException.isNotFound(e)) {
                return Future.failedFuture(engineTrouble(service, e));
            }
            LOG.log(Level.INFO, "service {0}: image {1} is not on this worker; pulling it", service, image);
            return engine.pull(image)
                    .compose(v -> engine.inspectImage(image))
                    .recover(pull -> Future.failedFuture(new ServiceStartException(service, "image '" + image
                            + "' is not on this worker and could not be pulled: " + pull.getMessage(), pull)));
        });
    }

    private Future<ServiceProcess> createAndStart(Context context, ServiceLaunch launch, String image, JsonObject info) {
        String service = launch.service();
        JsonObject config = info.getJsonObject("Config", new JsonObject());
        JsonObject spec;
        try {
            spec = ContainerSpec.create(launch, image, config.getString("WorkingDir"), settings.workerName(),
                    settings.stateDir(), ulimits, users);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(new ServiceStartException(service, e.getMessage()));
        }
        String name = ContainerSpec.name(launch);
        StateLayout layout = StateLayout.of(settings.stateDir());
        ServiceLog log = new ServiceLog(layout.log(launch.taskId(), launch.generation(), service));
        return vertx.executeBlocking(() -> {
                    for (Object bind : spec.getJsonObject("HostConfig").getJsonArray("Binds")) {
                        String source = bind.toString().substring(0, bind.toString().indexOf(':'));
                        if (!Files.exists(Path.of(source))) {
                            throw new ServiceStartException(service, "input " + source + " does not exist on this worker");
                        }
                    }
                    ServiceLog.create(layout, launch.taskId(), launch.generation(), service);
                    return null;
                }, false)
                .compose(v -> createReplacingLeftover(name, spec))
                .compose(id -> {
                    long millis = System.currentTimeMillis();
                    long nanos = System.nanoTime();
                    return engine.start(id)
                            .compose(v -> engine.inspect(id))
                            .map(inspected -> {
                                long pid = inspected.getJsonObject("State", new JsonObject()).getLong("Pid", 0L);
                                ExecContext exec = new ExecContext(Sandbox.network(launch.netns()), Path.of("/"),
                                        envMap(spec.getJsonArray("Env")));
                                ContainerService c = new ContainerService(vertx, engine, context, id, name, pid, millis,
                                        nanos, log, exec, Duration.ofNanos(Math.round(
                                                launch.config().terminationGraceSeconds() * 1e9)),
                                        ContainerService.stopSignalOf(inspected));
                                c.watch();
                                return (ServiceProcess) c;
                            })
                            .recover(e -> engine.remove(id).transform(ignored -> Future.failedFuture(
                                    new ServiceStartException(service, "container " + name + " (image " + image
                                            + ") did not start: " + e.getMessage(), e))));
                });
    }

    /**
     * Takes over the container a crashed agent started for the service (found by its name: per task, service and
     * generation), running or not: its exit is awaited again, its output copied on from where the log ends.
     */
    @Override
    public Future<ServiceProcess> reattach(ServiceLaunch launch, long pid, long startTicks) {
        Context context = vertx.getOrCreateContext();
        String name = ContainerSpec.name(launch);
        ServiceLog log = new ServiceLog(StateLayout.of(settings.stateDir()).log(launch.taskId(),
                launch.generation(), launch.service()));
        Future<ServiceProcess> taken = engine.inspect(name)
                .compose(inspected -> vertx.executeBlocking(() -> Files.exists(log.path())
                        ? Files.getLastModifiedTime(log.path()).toInstant() : null, false).map(since -> {
                    JsonObject state = inspected.getJsonObject("State", new JsonObject());
                    long startedAt = startedAtMillis(state.getString("StartedAt"));
                    JsonArray env = inspected.getJsonObject("Config", new JsonObject()).getJsonArray("Env",
                            new JsonArray());
                    ContainerService c = new ContainerService(vertx, engine, context, inspected.getString("Id"), name,
                            state.getLong("Pid", 0L), startedAt,
                            System.nanoTime() - (System.currentTimeMillis() - startedAt) * 1_000_000L, log,
                            new ExecContext(Sandbox.network(launch.netns()), Path.of("/"), envMap(env)),
                            Duration.ofNanos(Math.round(launch.config().terminationGraceSeconds() * 1e9)),
                            ContainerService.stopSignalOf(inspected));
                    c.watch(since);
                    return (ServiceProcess) c;
                }))
                .recover(e -> Future.failedFuture(new ServiceStartException(launch.service(), "container " + name
                        + " cannot be taken over: " + e.getMessage(), e)));
        return onContext(context, taken);
    }

    private static long startedAtMillis(String engineTime) {
        try {
            return java.time.OffsetDateTime.parse(engineTime).toInstant().toEpochMilli();
        } catch (RuntimeException e) {
            return System.currentTimeMillis();
        }
    }

    /** A container of the same name is a leftover of a crashed agent (names are per task, service, generation). */
    private Future<String> createReplacingLeftover(String name, JsonObject spec) {
        return engine.create(name, spec).recover(e -> {
            if (e instanceof EngineException ee && ee.status() == 409) {
                LOG.log(Level.WARNING, "container {0} already exists (left by a crashed agent?); replacing it", name);
                return engine.remove(name).compose(v -> engine.create(name, spec));
            }
            return Future.failedFuture(e);
        });
    }

    /**
     * Removes every container a previous agent left: those labelled with this agent's state directory (none
     * of them can belong to a task of this agent yet), and those of agents whose state directory no live agent
     * holds any more. Never fails: trouble with the engine becomes a line of the answer.
     */
    @Override
    public Future<List<String>> reapOrphans(java.util.Set<String> reattached) {
        return new ContainerReaper(vertx, engine, settings.stateDir(), reattached).reap()
                .recover(e -> Future.succeededFuture(List.of("could not look for leftover containers at "
                        + engine.socket() + ": " + e.getMessage())));
    }

    private ServiceStartException engineTrouble(String service, Throwable e) {
        return new ServiceStartException(service, e.getMessage(), e);
    }

    private static Map<String, String> envMap(JsonArray env) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (Object o : env) {
            String kv = o.toString();
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return m;
    }

    private static <T> Future<T> onContext(Context context, Future<T> f) {
        Promise<T> p = Promise.promise();
        f.onComplete(ar -> context.runOnContext(v -> p.handle(ar)));
        return p.future();
    }
}
