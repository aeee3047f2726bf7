package io.berth.agent.supervisor;

import io.berth.agent.AgentSettings;
import io.berth.agent.runtime.ProcessRuntime;
import io.berth.agent.runtime.ServiceLaunch;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.runtime.ServiceRuntime;
import io.berth.agent.runtime.ServiceSetup;
import io.berth.agent.runtime.ServiceStartException;
import io.berth.agent.runtime.container.ContainerRuntime;
import io.berth.agent.runtime.container.ContainerUsers;
import io.berth.agent.runtime.container.EngineClient;
import io.berth.agent.runtime.prototype.PrototypeRuntime;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Picks each service's runtime from its config: the first {@link Choice} that takes the config runs it.
 * {@link #standard} sends prototype-based services ({@code type:}) to the prototype runtime, services with an
 * image ({@code image:} or {@code image_resource:}; {@code run} then overrides its entrypoint and command) to
 * the container runtime when the agent has a container engine, and everything else to the process runtime,
 * which explains what it cannot run.
 */
public final class RuntimeSelector implements ServiceRuntime {

    /** A runtime and the configs it runs. */
    public record Choice(String name, Predicate<ServiceConfig> takes, ServiceRuntime runtime) {}

    private final List<Choice> choices;

    public RuntimeSelector(List<Choice> choices) {
        this.choices = List.copyOf(choices);
    }

    /**
     * Prototype-based services to {@link PrototypeRuntime}, image-based ones to {@link ContainerRuntime} (if
     * {@link AgentSettings#engineSocket()} is set), the rest to {@link ProcessRuntime}.
     */
    public static RuntimeSelector standard(Vertx vertx, AgentSettings settings) {
        List<Choice> choices = new ArrayList<>();
        ServiceSetup setup = new ServiceSetup(settings);
        EngineClient engine = settings.engineSocket() == null ? null : new EngineClient(vertx, settings.engineSocket());
        choices.add(new Choice("prototype", config -> config.type() != null,
                new PrototypeRuntime(vertx, settings, setup, engine)));
        if (engine != null) {
            choices.add(new Choice("container", ContainerRuntime::takes, ContainerRuntime.forEngine(vertx, settings,
                    engine, ContainerUsers.fromEnvironment(System.getenv()))));
        }
        // an image never runs as a plain process on the host: without an engine it is refused
        choices.add(new Choice("process", config -> !ContainerRuntime.takes(config), new ProcessRuntime(vertx, setup)));
        return new RuntimeSelector(choices);
    }

    /** Names of the runtimes, in the order they are tried. */
    public List<String> names() {
        return choices.stream().map(Choice::name).toList();
    }

    @Override
    public Future<ServiceProcess> start(ServiceLaunch launch) {
        return start(launch, Future.succeededFuture(launch.netns()));
    }

    @Override
    public Future<ServiceProcess> start(ServiceLaunch launch, Future<String> netns) {
        for (Choice choice : choices) {
            if (choice.takes().test(launch.config())) {
                return choice.runtime().start(launch, netns);
            }
        }
        String what = ContainerRuntime.takes(launch.config())
                ? "it runs an image, and this worker has no container engine (agent setting engineSocket, "
                        + AgentSettings.ENGINE_SOCKET_ENV + ")"
                : "no runtime of this worker runs it";
        return Future.failedFuture(new ServiceStartException(launch.service(),
                what + " (runtimes: " + String.join(", ", names()) + ")"));
    }

    @Override
    public Future<ServiceProcess> reattach(ServiceLaunch launch, long pid, long startTicks) {
        for (Choice choice : choices) {
            if (choice.takes().test(launch.config())) {
                return choice.runtime().reattach(launch, pid, startTicks);
            }
        }
        return ServiceRuntime.super.reattach(launch, pid, startTicks);
    }

    /** What every runtime finds left by crashed agents, runtime by runtime. */
    @Override
    public Future<List<String>> reapOrphans(java.util.Set<String> reattached) {
        List<String> all = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (Choice choice : choices) {
            chain = chain.compose(ignored -> choice.runtime().reapOrphans(reattached)
                    .otherwise(e -> List.of(choice.name() + " runtime: cannot look for leftovers: " + e.getMessage()))
                    .map(lines -> {
                        all.addAll(lines);
                        return null;
                    }));
        }
        return chain.map(v -> all);
    }

    /** Every runtime releases the task, one after the other (they may share its directory). */
    @Override
    public Future<Void> releaseTask(String taskId) {
        List<Throwable> errors = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (Choice choice : choices) {
            chain = chain.transform(ignored -> choice.runtime().releaseTask(taskId)
                    .otherwise(e -> {
                        errors.add(e);
                        return null;
                    }));
        }
        return chain.compose(v -> errors.isEmpty() ? Future.succeededFuture() : Future.failedFuture(errors.get(0)));
    }
}
