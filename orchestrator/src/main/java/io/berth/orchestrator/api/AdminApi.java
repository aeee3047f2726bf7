package io.berth.orchestrator.api;

import io.berth.events.json.Json;
import io.berth.orchestrator.view.OrchestratorQueries;
import io.berth.orchestrator.view.Readiness;
import io.berth.orchestrator.view.TaskView;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's admin API over HTTP (vertx-web): routes come from the OpenAPI document it serves
 * ({@code /openapi.yaml}), which also validates every request before a handler sees it. Reads need nothing;
 * mutating calls need the bearer token ({@link BearerAuth}); every error is a problem document ({@link Problems}).
 */
public final class AdminApi {
    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    /** The document, on the classpath. */
    public static final String OPENAPI_RESOURCE = OpenApiDocument.RESOURCE;
    static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final String API = "/api/v1";

    private final Vertx vertx;
    private final OrchestratorQueries orchestrator;
    private final PrometheusMeterRegistry registry;
    private final AdminSettings settings;
    private final String yaml;
    private final JsonObject document;
    private HttpServer server;
    private Router router;

    public AdminApi(Vertx vertx, OrchestratorQueries orchestrator, PrometheusMeterRegistry registry,
                    AdminSettings settings) {
        this.vertx = vertx;
        this.orchestrator = orchestrator;
        this.registry = registry;
        this.settings = settings;
        this.yaml = openApiYaml();
        this.document = openApiDocument();
    }

    /** The OpenAPI document's text. */
    public static String openApiYaml() {
        return OpenApiDocument.yaml();
    }

    /** The OpenAPI document as JSON. */
    public static JsonObject openApiDocument() {
        return OpenApiDocument.json();
    }

    /** Loads (and so validates) the document, builds the router, listens; completes with the bound port. */
    public Future<Integer> listen() {
        return OpenAPIContract.from(vertx, OpenApiDocument.forValidator(document)).compose(contract -> {
            router = router(contract);
            server = vertx.createHttpServer(new HttpServerOptions()
                    .setHost(settings.httpHost())
                    .setPort(settings.httpPort())
                    .setCompressionSupported(true));
            return server.requestHandler(router).listen();
        }).map(HttpServer::actualPort).onSuccess(port -> LOG.info("admin API on http://{}:{} ({}; metrics on /metrics)",
                settings.httpHost(), port, settings.apiToken() == null || settings.apiToken().isEmpty()
                        ? "read-only: no API token configured" : "mutating calls need the API token"));
    }

    public int port() {
        return server == null ? -1 : server.actualPort();
    }

    /** The routes served, as {@code "METHOD /path"} with OpenAPI-style {@code {param}}s (for tests). */
    public List<String> routes() {
        List<String> out = new ArrayList<>();
        for (Route route : router.getRoutes()) {
            if (route.getPath() == null || route.methods() == null) {
                continue;
            }
            String path = route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
            route.methods().forEach(m -> out.add(m.name() + " " + path));
        }
        return out;
    }

    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private Router router(OpenAPIContract contract) {
        // the validator takes the body RequestBodyLimit read (bounded), never the whole stream itself
        RouterBuilder builder = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
        builder.rootHandler(rc -> {
            rc.response().putHeader("Cache-Control", "no-store");
            rc.next();
        });
        builder.rootHandler(new BearerAuth(contract, settings.apiToken(), settings.readToken()));
        builder.rootHandler(new RequestBodyLimit(contract));
        on(builder, "healthz", rc -> json(rc, 200, Map.of("status", "UP")));
        on(builder, "readyz", this::readyz);
        on(builder, "metrics", this::metrics);
        on(builder, "openapiYaml", rc -> rc.response().putHeader("Content-Type", "application/yaml").end(yaml));
        on(builder, "openapiJson", rc -> rc.response().putHeader("Content-Type", "application/json")
                .end(document.encodePrettily()));
        on(builder, "listWorkers", this::listWorkers);
        on(builder, "getWorker", this::getWorker);
        on(builder, "drainWorker", this::drainWorker);
        on(builder, "listTasks", this::listTasks);
        on(builder, "getTask", this::getTask);
        on(builder, "releaseTask", this::releaseTask);
        on(builder, "getServiceLogs", this::getServiceLogs);
        Router built = builder.createRouter();
        built.route().failureHandler(Problems::onFailure);
        built.errorHandler(404, rc -> Problems.noRoute(rc, 404));
        built.errorHandler(405, rc -> Problems.noRoute(rc, 405));
        built.errorHandler(500, Problems::onFailure);
        return built;
    }

    private static void on(RouterBuilder builder, String operationId, Handler<RoutingContext> handler) {
        OpenAPIRoute route = builder.getRoute(operationId);
        if (route == null) {
            throw new IllegalStateException("openapi.yaml has no operation " + operationId);
        }
        route.setDoSecurity(false); // BearerAuth enforces the document's security requirements, before validation
        route.addHandler(handler);
    }

    private void readyz(RoutingContext rc) {
        Readiness r = orchestrator.readiness();
        Map<String, Object> checks = Map.of("kafka", r.kafka(), "state", r.state());
        if (r.ready()) {
            json(rc, 200, Map.of("status", "UP", "checks", checks));
        } else {
            Problems.send(rc, 503, "not-ready", "Service Unavailable",
                    "not ready: " + (r.kafka() ? "" : "Kafka consumer not assigned or not polling; ")
                            + (r.state() ? "" : "task state not loaded"), Map.of("checks", checks));
        }
    }

    private void metrics(RoutingContext rc) {
        vertx.executeBlocking(registry::scrape, false).onComplete((text, error) -> {
            if (error != null) {
                rc.fail(error);
            } else {
                rc.response().putHeader("Content-Type", METRICS_CONTENT_TYPE).end(text);
            }
        });
    }

    private void listWorkers(RoutingContext rc) {
        orchestrator.workers().compose(workers -> orchestrator.tasks().map(tasks -> {
            Map<String, Integer> active = Views.activeTasksByWorker(tasks);
            var items = Json.MAPPER.createArrayNode();
            workers.forEach(w -> items.add(Views.worker(w, active.getOrDefault(w.worker(), 0))));
            return Json.MAPPER.createObjectNode().set("items", items);
        })).onSuccess(body -> json(rc, 200, body)).onFailure(e -> unavailable(rc, e));
    }

    private void getWorker(RoutingContext rc) {
        String name = rc.pathParam("name");
        orchestrator.workers().compose(workers -> orchestrator.tasks().map(tasks ->
                        workers.stream().filter(w -> w.worker().equals(name)).findFirst()
                                .map(w -> Views.worker(w, Views.activeTasksByWorker(tasks).getOrDefault(name, 0)))))
                .onSuccess(w -> {
                    if (w.isPresent()) {
                        json(rc, 200, w.get());
                    } else {
                        Problems.notFound(rc, "no worker named '" + name + "' is connected or known");
                    }
                }).onFailure(e -> unavailable(rc, e));
    }

    private void drainWorker(RoutingContext rc) {
        String name = rc.pathParam("name");
        ValidatedRequest request = rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
        boolean draining = true;
        RequestParameter body = request == null ? null : request.getBody();
        if (body != null && !body.isNull() && body.getJsonObject() != null) {
            draining = body.getJsonObject().getBoolean("draining", true);
        }
        boolean value = draining;
        orchestrator.drain(name, value).onSuccess(known -> {
            if (!known) {
                Problems.notFound(rc, "no worker named '" + name + "' is connected or known");
            } else {
                LOG.info("admin API: worker {} {}", name, value ? "draining" : "no longer draining");
                getWorker(rc);
            }
        }).onFailure(e -> unavailable(rc, e));
    }

    private void listTasks(RoutingContext rc) {
        ValidatedRequest request = rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
        String state = query(request, "state").map(p -> p.getString().toUpperCase(Locale.ROOT)).orElse(null);
        String worker = query(request, "worker").map(RequestParameter::getString).orElse(null);
        int limit = query(request, "limit").map(RequestParameter::getInteger).orElse(50);
        int offset = query(request, "offset").map(RequestParameter::getInteger).orElse(0);
        orchestrator.tasks().onSuccess(all -> {
            List<TaskView> matching = new ArrayList<>();
            for (int i = all.size() - 1; i >= 0; i--) { // newest first
                TaskView t = all.get(i);
                if ((state == null || t.phase().equals(state)) && (worker == null || worker.equals(t.worker())
                        || (t.worker() == null && worker.equals(t.requestedWorker())))) {
                    matching.add(t);
                }
            }
            var items = Json.MAPPER.createArrayNode();
            matching.stream().skip(offset).limit(limit).forEach(t -> items.add(Views.taskSummary(t)));
            var body = Json.MAPPER.createObjectNode();
            body.set("items", items);
            body.put("total", matching.size());
            body.put("offset", offset);
            body.put("limit", limit);
            if ((long) offset + limit < matching.size()) {
                body.put("next_offset", offset + limit);
            }
            json(rc, 200, body);
        }).onFailure(e -> unavailable(rc, e));
    }

    private void getTask(RoutingContext rc) {
        String id = rc.pathParam("id");
        orchestrator.task(id).onSuccess(task -> {
            if (task.isPresent()) {
                json(rc, 200, Views.task(task.get(), API + "/tasks/" + id));
            } else {
                Problems.notFound(rc, "no task '" + id + "' is known (never started, or released long ago)");
            }
        }).onFailure(e -> unavailable(rc, e));
    }

    private void releaseTask(RoutingContext rc) {
        String id = rc.pathParam("id");
        orchestrator.forceRelease(id, "requested through the admin API").onSuccess(task -> {
            if (task.isPresent()) {
                LOG.info("admin API: task {} force-released (it was {})", id, task.get().phase());
                json(rc, 202, Views.task(task.get(), API + "/tasks/" + id));
            } else {
                Problems.notFound(rc, "no task '" + id + "' is known (never started, or released long ago)");
            }
        }).onFailure(e -> unavailable(rc, e));
    }

    private void getServiceLogs(RoutingContext rc) {
        String id = rc.pathParam("id");
        String service = rc.pathParam("name");
        ValidatedRequest request = rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
        boolean follow = query(request, "follow").map(RequestParameter::getBoolean).orElse(false);
        int tail = query(request, "tail").map(RequestParameter::getInteger).orElse(0);
        long offset = query(request, "offset").map(p -> p.getLong()).orElse(0L);
        orchestrator.task(id).onSuccess(task -> {
            if (task.isEmpty()) {
                Problems.notFound(rc, "no task '" + id + "' is known (never started, or released long ago)");
            } else {
                LogStream.serve(vertx, orchestrator, rc, task.get(), service, follow, offset, tail);
            }
        }).onFailure(e -> unavailable(rc, e));
    }

    private static Optional<RequestParameter> query(ValidatedRequest request, String name) {
        if (request == null || request.getQuery() == null) {
            return Optional.empty();
        }
        RequestParameter p = request.getQuery().get(name);
        return p == null || p.isNull() ? Optional.empty() : Optional.of(p);
    }

    private static void json(RoutingContext rc, int status, Object body) {
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(Json.string(body));
    }

    private static void unavailable(RoutingContext rc, Throwable error) {
        Problems.unavailable(rc, "the orchestrator cannot answer now: " + error.getMessage());
    }
}
