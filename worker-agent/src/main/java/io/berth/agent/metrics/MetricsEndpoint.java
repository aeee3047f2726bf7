package io.berth.agent.metrics;

import java.lang.System.Logger.Level;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/**
 * The agent's {@code GET /metrics} (Prometheus text format) and {@code GET /healthz}. It runs in the agent's own
 * network (127.0.0.1 unless configured otherwise), never in a task's namespace: services cannot reach it.
 */
public final class MetricsEndpoint {
    private static final System.Logger LOG = System.getLogger(MetricsEndpoint.class.getName());
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private HttpServer server;

    public MetricsEndpoint(Vertx vertx, PrometheusMeterRegistry registry) {
        this.vertx = vertx;
        this.registry = registry;
    }

    /** Listens on {@code host:port} (port 0: any free port); completes with the bound port. */
    public Future<Integer> listen(String host, int port) {
        server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port));
        return server.requestHandler(request -> {
            String path = request.path();
            if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
                request.response().setStatusCode(405).putHeader("Allow", "GET").end();
            } else if (path.equals("/metrics")) {
                vertx.executeBlocking(registry::scrape, false).onComplete((text, error) -> {
                    if (error != null) {
                        request.response().setStatusCode(500).end(String.valueOf(error.getMessage()));
                    } else {
                        request.response().putHeader("Content-Type", CONTENT_TYPE).end(text);
                    }
                });
            } else if (path.equals("/healthz")) {
                request.response().putHeader("Content-Type", "application/json").end("{\"status\":\"UP\"}");
            } else {
                request.response().setStatusCode(404).end("not found: try /metrics\n");
            }
        }).listen().map(HttpServer::actualPort)
                .onSuccess(p -> LOG.log(Level.INFO, "agent metrics on http://{0}:{1}/metrics", host, String.valueOf(p)));
    }

    /** The bound port, or -1 before {@link #listen}. */
    public int port() {
        return server == null ? -1 : server.actualPort();
    }

    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }
}
