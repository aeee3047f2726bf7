package io.berth.agent.supervisor;

import io.berth.events.payload.NetworkSpec;

import java.util.List;
import java.util.Map;

/**
 * What happens to a task's services, as it happens. Called on the supervisor's Vert.x context (never
 * block in it); implementations publish the events. For each service: {@code starting}, then
 * {@code probe}* and {@code ready} or {@code failed}; then maybe {@code exited}; finally {@code stopped}.
 * A service that cannot be launched gets {@code failed} without {@code starting}.
 */
public interface ServiceEvents {

    /** The service process was launched. */
    void starting(String service, long pid);

    /** A counted probe attempt; {@code result} is {@code success}, {@code failure} or {@code error}. */
    void probe(String service, int attempt, String result, String message);

    /** The startup probe succeeded: the task may use the service at {@code host} on {@code ports}. */
    void ready(String service, NetworkSpec network, String host, Map<String, Integer> ports, long startedAtMillis,
               Long portOpenAtMillis, long readyAtMillis);

    /** The service could not be launched or did not become ready; {@code reason} names it and says why. */
    void failed(String service, String reason, List<String> logTail);

    /** The service exited by itself after it was ready, while its task still ran. */
    void exited(String service, int exitCode, List<String> logTail);

    /**
     * The service is gone: {@code SIGTERM} (it complied), {@code SIGKILL} (it had to be killed) or {@code none}.
     * Completes once the report is durable (Kafka acknowledged it): only then does the agent forget the service.
     */
    io.vertx.core.Future<Void> stopped(String service, String signal, long durationMillis, Integer exitCode);

    /** Discards every event. */
    ServiceEvents NONE = new ServiceEvents() {
        @Override
        public void starting(String service, long pid) {}

        @Override
        public void probe(String service, int attempt, String result, String message) {}

        @Override
        public void ready(String service, NetworkSpec network, String host, Map<String, Integer> ports,
                          long startedAtMillis, Long portOpenAtMillis, long readyAtMillis) {}

        @Override
        public void failed(String service, String reason, List<String> logTail) {}

        @Override
        public void exited(String service, int exitCode, List<String> logTail) {}

        @Override
        public io.vertx.core.Future<Void> stopped(String service, String signal, long durationMillis,
                                                  Integer exitCode) {
            return io.vertx.core.Future.succeededFuture();
        }
    };
}
