package io.berth.agent.runtime.prototype;

import io.berth.agent.logs.ServiceLog;
import io.berth.agent.sandbox.Launcher;
import io.berth.agent.sandbox.Relay;
import io.berth.agent.runtime.LocalServiceProcess;
import io.berth.agent.runtime.ProcessRuntime;
import io.berth.agent.runtime.ServiceLaunch;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.runtime.ServiceRuntime;
import io.berth.agent.runtime.ServiceSetup;
import io.berth.agent.runtime.ServiceStartException;
import io.berth.agent.runtime.container.ContainerReaper;
import io.berth.agent.runtime.container.EngineClient;
import io.berth.agent.AgentSettings;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs prototype-based services ({@code type: NAME}, {@code run: MESSAGE}, default {@code up}) with the
 * Concourse prototype protocol, from prototype directories on this worker (see {@link Prototype#find}).
 *
 * <p>First {@code info} runs with {@code {"object": params, "response_path": ...}} on stdin and must write
 * {@code {"interface_version": "1.0", "messages": [...]}} there; a prototype that does not list the message is
 * refused. Then the message's command runs with the same kind of request on stdin, and that process is the
 * service: probes, ports, logs and termination treat it like any other. Every command of the prototype runs
 * like a process service does: in the service's sandbox (the task's network and identity, its cgroup), with a clean
 * environment, in the service's scratch directory, which holds its inputs.
 */
public final class PrototypeRuntime implements ServiceRuntime {
    /**
     * Comma-separated prototypes the operator trusts with the container engine (e.g. {@code docker-compose}): their
     * messages run as root with {@code DOCKER_HOST} (the agent's engine socket) and {@code BERTH_NETWORK_NAMESPACE}
     * (the namespace to put containers in). Whoever reaches the engine is root on the worker, so such a prototype
     * must confine what it runs itself, as {@code examples/prototypes/docker-compose} does.
     */
    public static final String ENGINE_PROTOTYPES_ENV = "BERTH_ENGINE_PROTOTYPES";
    /** Same as {@link #ENGINE_PROTOTYPES_ENV}, for embedders and tests; wins over the environment variable. */
    public static final String ENGINE_PROTOTYPES_PROPERTY = "berth.engine.prototypes";
    /** How long {@code info} may take before the service fails. */
    static final Duration INFO_TIMEOUT = Duration.ofSeconds(30);
    private static final String INFO = "info";
    private static final int OUTPUT_LINES_IN_ERRORS = 5;

    private final Vertx vertx;
    private final AgentSettings settings;
    private final java.util.Set<String> engineGranted;
    /** The engine, for the prototypes granted it: what they leave of a service is removed when it ends. */
    private final EngineClient engine;
    private final ServiceSetup serviceSetup;

    /** Without a container engine: no prototype is trusted with one. */
    public PrototypeRuntime(Vertx vertx, AgentSettings settings, ServiceSetup serviceSetup) {
        this(vertx, settings, serviceSetup, null);
    }

    /** @param engine the agent's engine client, or null when it has none */
    public PrototypeRuntime(Vertx vertx, AgentSettings settings, ServiceSetup serviceSetup, EngineClient engine) {
        this.vertx = vertx;
        this.settings = settings;
        String granted = System.getProperty(ENGINE_PROTOTYPES_PROPERTY, System.getenv(ENGINE_PROTOTYPES_ENV));
        this.engineGranted = engine == null || granted == null ? java.util.Set.of()
                : java.util.Arrays.stream(granted.split(",")).map(String::strip).filter(n -> !n.isEmpty())
                        .collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.engine = engine;
        this.serviceSetup = serviceSetup;
    }

    @Override
    public Future<ServiceProcess> start(ServiceLaunch launch) {
        Context context = vertx.getOrCreateContext();
        return context.executeBlocking(() -> launch(context, launch), false);
    }

    private ServiceProcess launch(Context context, ServiceLaunch launch) {
        String service = launch.service();
        ServiceConfig config = launch.config();
        RunSpec run = config.run();
        if (run != null && !run.isMessage()) {
            throw new ServiceStartException(service,
                    "a prototype-based service takes a message (run: up), not a process to run");
        }
        String message = run == null ? RunSpec.DEFAULT_MESSAGE : run.message();
        ServiceSetup.Prepared setup = null;
        MessageFiles files = null;
        try {
            Prototype prototype = Prototype.find(config.type(), settings.prototypeDirs());
            Prototype.checkName("message", message);
            if (!prototype.has(INFO)) {
                throw new ServiceStartException(service, prototype + " has no executable 'info': every prototype "
                        + "needs one, to say which messages it supports");
            }
            boolean trusted = engineGranted.contains(prototype.name());
            Map<String, String> env = new LinkedHashMap<>(Map.of("BERTH_PROTOTYPE", prototype.name(),
                    "BERTH_PROTOTYPE_DIR", prototype.dir().toString()));
            if (trusted) {
                env.put("DOCKER_HOST", "unix://" + settings.engineSocket());
                env.put("BERTH_NETWORK_NAMESPACE", launch.netns() == null ? "" : launch.netns());
                // the labels of Berth's own containers: an agent that starts after a crash removes them too
                env.put("BERTH_CONTAINER_LABELS", new io.vertx.core.json.JsonObject()
                        .put("io.berth.agent", settings.workerName())
                        .put("io.berth.state-dir", settings.stateDir().toString())
                        .put("io.berth.task-id", launch.taskId())
                        .put("io.berth.service", service)
                        .put("io.berth.generation", Long.toString(launch.generation())).encode());
            }
            // a prototype the operator trusts with the engine runs as root (in its sandbox); any other as the task
            setup = trusted ? serviceSetup.createAsRoot(launch, env) : serviceSetup.create(launch, null, null, Map.of(), env);
            setup = setup.reaching(launch, prototype.dir(), trusted ? settings.engineSocket() : null);
            files = MessageFiles.create(settings.stateDir(), launch.taskId(), service,
                    setup.exec().sandbox().identity());
            ServiceLog log = setup.log();
            MessageCommand messages = new MessageCommand(prototype, setup.exec(), log.path(), files, config.params());

            PrototypeInfo info = info(service, messages, log);
            if (!info.supports(message)) {
                throw new ServiceStartException(service, prototype + " does not support the message '" + message
                        + "': its info lists " + info.messages());
            }
            if (!prototype.has(message)) {
                throw new ServiceStartException(service, prototype + " lists '" + message
                        + "' in its info but has no executable " + prototype.executable(message));
            }
            long millis = System.currentTimeMillis();
            long nanos = System.nanoTime();
            Relay up = messages.start(message).relay();
            LocalServiceProcess process = new LocalServiceProcess(context, up, millis, nanos, setup);
            Supplier<Future<List<String>>> leftovers = !trusted ? () -> Future.succeededFuture(List.of())
                    : () -> ContainerReaper.removeLeftovers(engine, settings.stateDir(), launch.taskId(), service,
                            launch.generation());
            return new PrototypeServiceProcess(context, service, process, messages, info, files, leftovers);
        } catch (IllegalArgumentException e) {
            removeQuietly(setup, files);
            throw new ServiceStartException(service, e.getMessage(), e);
        } catch (IOException e) {
            removeQuietly(setup, files);
            throw new ServiceStartException(service, "cannot prepare the service: " + ProcessRuntime.describe(e), e);
        } catch (RuntimeException e) {
            removeQuietly(setup, files);
            throw e;
        }
    }

    /** Sends {@code info} and reads its answer; anything but a valid answer fails the service, saying why. */
    private static PrototypeInfo info(String service, MessageCommand messages, ServiceLog log) throws IOException {
        Prototype prototype = messages.prototype();
        MessageCommand.Outcome outcome = messages.run(INFO, INFO_TIMEOUT);
        if (outcome.timedOut()) {
            throw new ServiceStartException(service, prototype + ": info did not finish within "
                    + INFO_TIMEOUT.toSeconds() + " s" + output(log));
        }
        if (outcome.exitCode() != 0) {
            throw new ServiceStartException(service, prototype + ": info failed with exit code "
                    + outcome.exitCode() + output(log));
        }
        try {
            return PrototypeInfo.parse(MessageFiles.readResponse(outcome.responsePath()));
        } catch (IllegalArgumentException | IOException e) {
            throw new ServiceStartException(service, prototype + ": " + e.getMessage() + output(log));
        }
    }

    /** The last lines a message printed, for an error message. */
    private static String output(ServiceLog log) {
        List<String> tail = log.tail(OUTPUT_LINES_IN_ERRORS);
        return tail.isEmpty() ? "" : "; its output ends with: " + String.join(" | ", tail);
    }

    @Override
    public Future<Void> releaseTask(String taskId) {
        return vertx.executeBlocking(() -> {
            serviceSetup.releaseTask(taskId);
            return null;
        }, false);
    }

    private static void removeQuietly(ServiceSetup.Prepared setup, MessageFiles files) {
        try {
            if (setup != null) {
                setup.remove();
            }
            if (files != null) {
                files.remove();
            }
        } catch (IOException ignored) {
            // best effort: the launch already failed, that error is the one to report
        }
    }
}
