package io.berth.agent.runtime;

import io.berth.agent.runtime.prototype.PrototypeRuntime;
import io.berth.agent.supervisor.AgentSettings;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Picks each service's runtime from its config: the first {@link Choice} that takes the config runs it.
 * {@link #standard} sends prototype-based services ({@code type:}) to the prototype runtime and everything
 * else to the process runtime, which explains what it cannot run.
 */
public final class RuntimeSelector implements ServiceRuntime {

    /** A runtime and the configs it runs. */
    public record Choice(String name, Predicate<ServiceConfig> takes, ServiceRuntime runtime) {}

    private final List<Choice> choices;

    public RuntimeSelector(List<Choice> choices) {
        this.choices = List.copyOf(choices);
    }

    /** Prototype-based services to {@link PrototypeRuntime}, the rest to {@link ProcessRuntime}. */
    public static RuntimeSelector standard(Vertx vertx, AgentSettings settings) {
        return new RuntimeSelector(List.of(
                new Choice("prototype", config -> config.type() != null, new PrototypeRuntime(vertx, settings)),
                new Choice("process", config -> true, new ProcessRuntime(vertx, settings))));
    }

    /** Names of the runtimes, in the order they are tried. */
    public List<String> names() {
        return choices.stream().map(Choice::name).toList();
    }

    @Override
    public Future<ServiceProcess> start(ServiceLaunch launch) {
        for (Choice choice : choices) {
            if (choice.takes().test(launch.config())) {
                return choice.runtime().start(launch);
            }
        }
        return Future.failedFuture(new ServiceStartException(launch.service(),
                "no runtime of this worker runs it (runtimes: " + String.join(", ", names()) + ")"));
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
