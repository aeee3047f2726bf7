package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.EventTypes;
import io.berth.events.json.Json;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.orchestrator.api.AdminApi;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.openapi.contract.OpenAPIVersion;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * The admin API over real HTTP against a running orchestrator and agent with an embedded broker: every endpoint,
 * auth, problem documents, pagination, logs (also followed live, and after a failed start), secret masking, the
 * OpenAPI document, both /metrics expositions through promtool, and the CLI views on top.
 */
class AdminApiTest {
    private static final String TOKEN = "test-token-7f3a";
    private static final String SECRET = "hunter2-very-secret";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static EmbeddedStack stack;
    private static TaskDriver driver;
    private static String api;

    @BeforeAll
    static void startStack() {
        stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "api-worker", 0, TOKEN, 0), null);
        driver = new TaskDriver(stack.bootstrapServers());
        api = stack.apiUrl();
    }

    @AfterAll
    static void stopStack() {
        if (driver != null) {
            driver.close();
        }
        if (stack != null) {
            TestStacks.close(stack);
        }
    }

    private static final String SLEEPER = "run: {path: /bin/sh, args: [-c, 'exec sleep 600']}\n";

    private static String readyTask(String yaml) throws Exception {
        String task = TaskDriver.newTaskId();
        driver.start(task, Map.of("svc", yaml));
        driver.await(task, EventTypes.TASK_SERVICES_READY, TIMEOUT);
        return task;
    }

    private static void endAndAwaitRelease(String task) throws Exception {
        driver.end(task);
        driver.await(task, EventTypes.TASK_SERVICES_RELEASED, TIMEOUT);
    }

    private static void assertProblem(Http.Response r, int status, String detailContains) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        JsonNode p = r.json();
        assertThat(p.path("type").asText()).isNotEmpty();
        assertThat(p.path("title").asText()).isNotEmpty();
        assertThat(p.path("status").asInt()).isEqualTo(status);
        assertThat(p.path("detail").asText()).contains(detailContains);
    }

    // --- health, document, routes ------------------------------------------------------------------------------

    @Test
    void healthz_andReadyz_sayUp_withTheirChecks() {
        Http.Response health = Http.get(api + "/healthz");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().path("status").asText()).isEqualTo("UP");
        Http.Response ready = Http.get(api + "/readyz");
        assertThat(ready.status()).as(ready.body()).isEqualTo(200);
        assertThat(ready.json().path("checks").path("kafka").asBoolean()).isTrue();
        assertThat(ready.json().path("checks").path("state").asBoolean()).isTrue();
    }

    @Test
    void openApiDocument_isValidOpenApi31_servedAsYamlAndJson_andMatchesTheServedRoutesExactly() throws Exception {
        Http.Response yaml = Http.get(api + "/openapi.yaml");
        Http.Response json = Http.get(api + "/openapi.json");
        assertThat(yaml.status()).isEqualTo(200);
        assertThat(json.status()).isEqualTo(200);
        @SuppressWarnings("unchecked")
        JsonObject fromYaml = new JsonObject((Map<String, Object>) new Yaml().load(yaml.body()));
        JsonObject fromJson = new JsonObject(json.body());
        assertThat(fromYaml).isEqualTo(fromJson);

        // the served document, as it is, against the OpenAPI 3.1 meta-schemas
        Vertx vertx = Vertx.vertx();
        try {
            OpenAPIVersion version = OpenAPIVersion.fromContract(fromJson);
            assertThat(version).isEqualTo(OpenAPIVersion.V3_1);
            SchemaRepository repo = version.getRepository(vertx, "app:///").toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            var result = version.validateContract(vertx, repo, fromJson).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertThat(result.getValid()).as(String.valueOf(result.getErrors())).isTrue();
        } finally {
            vertx.close();
        }

        Set<String> documented = new TreeSet<>();
        fromJson.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).fieldNames().stream()
                .filter(m -> !m.equals("parameters"))
                .forEach(m -> documented.add(m.toUpperCase() + " " + path.getKey())));
        AdminApi admin = stack.orchestrator().adminApi().orElseThrow();
        assertThat(new TreeSet<>(admin.routes())).isEqualTo(documented);
        // every documented operation has a handler (none answers with the router's 'not implemented' 503)
        for (String route : documented) {
            if (route.startsWith("GET ") && !route.contains("{")) {
                assertThat(Http.get(api + route.substring(4)).status()).as(route).isEqualTo(200);
            }
        }
    }

    @Test
    void unknownPaths_andMethods_areProblemDocuments() {
        assertProblem(Http.get(api + "/api/v1/nothing-here"), 404, "/api/v1/nothing-here");
        assertProblem(Http.send("PUT", api + "/api/v1/tasks/x", TOKEN, "{}"), 405, "PUT");
    }

    // --- workers ---------------------------------------------------------------------------------------------

    @Test
    void workers_listTheConnectedAgent_oneByName_andUnknownIs404() {
        JsonNode list = Http.get(api + "/api/v1/workers").json();
        assertThat(list.path("items")).hasSize(1);
        JsonNode w = list.path("items").get(0);
        assertThat(w.path("name").asText()).isEqualTo("api-worker");
        assertThat(w.path("connected").asBoolean()).isTrue();
        assertThat(w.path("connected_since").asText()).isNotEmpty();
        assertThat(w.path("last_heartbeat").asText()).isNotEmpty();
        assertThat(w.path("runtimes").get(0).asText()).isEqualTo("process");
        assertThat(w.path("capacity").asInt()).isPositive();
        assertThat(w.has("active_services") && w.has("active_tasks") && w.has("draining")).isTrue();

        assertThat(Http.get(api + "/api/v1/workers/api-worker").json().path("name").asText()).isEqualTo("api-worker");
        assertProblem(Http.get(api + "/api/v1/workers/ghost"), 404, "ghost");
    }

    @Test
    void drain_needsTheToken_401Without_403Wrong_thenDrainsAndResumes() {
        String url = api + "/api/v1/workers/api-worker/drain";
        Http.Response none = Http.send("POST", url, null, null);
        assertProblem(none, 401, "Authorization: Bearer");
        assertThat(none.raw().headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v ->
                assertThat(v).startsWith("Bearer"));
        assertProblem(Http.send("POST", url, "wrong", null), 403, "not this orchestrator's API token");

        Http.Response drained = Http.send("POST", url, TOKEN, null);
        assertThat(drained.status()).as(drained.body()).isEqualTo(200);
        assertThat(drained.json().path("draining").asBoolean()).isTrue();
        assertThat(Http.get(api + "/api/v1/workers/api-worker").json().path("draining").asBoolean()).isTrue();

        Http.Response resumed = Http.send("POST", url, TOKEN, "{\"draining\": false}");
        assertThat(resumed.json().path("draining").asBoolean()).isFalse();
        assertProblem(Http.send("POST", url, TOKEN, "{\"draining\": \"maybe\"}"), 400, "");
        assertProblem(Http.send("POST", api + "/api/v1/workers/ghost/drain", TOKEN, null), 404, "ghost");
    }

    // --- tasks -----------------------------------------------------------------------------------------------

    @Test
    void tasks_arePaginatedNewestFirst_andFilteredByStateAndWorker() throws Exception {
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String task = readyTask(SLEEPER);
            created.add(task);
        }
        endAndAwaitRelease(created.get(0));

        JsonNode all = Http.get(api + "/api/v1/tasks?limit=500").json();
        int total = all.path("total").asInt();
        assertThat(total).isGreaterThanOrEqualTo(3);
        List<String> ids = new ArrayList<>();
        all.path("items").forEach(t -> ids.add(t.path("id").asText()));
        assertThat(ids.indexOf(created.get(2))).isLessThan(ids.indexOf(created.get(1)));
        assertThat(ids.indexOf(created.get(1))).isLessThan(ids.indexOf(created.get(0)));

        JsonNode page1 = Http.get(api + "/api/v1/tasks?limit=2").json();
        assertThat(page1.path("items")).hasSize(2);
        assertThat(page1.path("total").asInt()).isEqualTo(total);
        assertThat(page1.path("next_offset").asInt()).isEqualTo(2);
        Set<String> paged = new HashSet<>();
        int offset = 0;
        while (true) {
            JsonNode page = Http.get(api + "/api/v1/tasks?limit=2&offset=" + offset).json();
            page.path("items").forEach(t -> paged.add(t.path("id").asText()));
            if (!page.has("next_offset")) {
                break;
            }
            offset = page.path("next_offset").asInt();
        }
        assertThat(paged).containsExactlyInAnyOrderElementsOf(ids);

        JsonNode ready = Http.get(api + "/api/v1/tasks?state=ready&worker=api-worker&limit=500").json();
        List<String> readyIds = new ArrayList<>();
        ready.path("items").forEach(t -> {
            assertThat(t.path("state").asText()).isEqualTo("ready");
            readyIds.add(t.path("id").asText());
        });
        assertThat(readyIds).contains(created.get(1), created.get(2)).doesNotContain(created.get(0));
        assertThat(Http.get(api + "/api/v1/tasks?worker=ghost").json().path("total").asInt()).isZero();

        Http.Response bad = Http.get(api + "/api/v1/tasks?limit=0");
        assertProblem(bad, 400, "limit");
        assertThat(bad.json().path("errors")).isNotEmpty();
        assertProblem(Http.get(api + "/api/v1/tasks?state=sleeping"), 400, "state");
        endAndAwaitRelease(created.get(1));
        endAndAwaitRelease(created.get(2));
    }

    @Test
    void task_showsTimelineServicesProbesSvcVariablesAndRelease_withSecretsMasked() throws Exception {
        String task = TaskDriver.newTaskId();
        driver.start(task, Map.of("web", """
                run: {path: /bin/sh, args: [-c, 'echo "password is $DB_PASSWORD"; exec %s 7401 hi']}
                params: {DB_PASSWORD: %s, MODE: test}
                ports: [{number: 7401}]
                """.formatted(Processes.ANSWER_SCRIPT, SECRET)));
        driver.await(task, EventTypes.TASK_SERVICES_READY, TIMEOUT);

        JsonNode t = Http.get(api + "/api/v1/tasks/" + task).json();
        assertThat(t.path("state").asText()).isEqualTo("ready");
        assertThat(t.path("worker").asText()).isEqualTo("api-worker");
        assertThat(t.path("network").path("mode").asText()).isEqualTo("namespace");
        assertThat(t.path("time_to_ready_ms").asLong()).isNotNegative();
        List<String> events = new ArrayList<>();
        t.path("timeline").forEach(e -> {
            assertThat(e.path("at").asText()).isNotEmpty();
            events.add(e.path("event").asText());
        });
        assertThat(events).containsSubsequence(EventTypes.TASK_STARTED, "placed", EventTypes.SERVICE_STARTING,
                EventTypes.SERVICE_READY, EventTypes.TASK_SERVICES_READY);
        JsonNode web = t.path("services").get(0);
        assertThat(web.path("state").asText()).isEqualTo("ready");
        assertThat(web.path("probe_attempts").asInt()).isPositive();
        assertThat(web.path("svc").path("address").asText()).isEqualTo("127.0.0.1:7401");
        assertThat(web.path("port_open_at").asText()).isNotEmpty();
        assertThat(web.path("readiness_lag_ms").asLong()).isNotNegative();
        assertThat(web.path("config").path("params").path("DB_PASSWORD").asText()).isEqualTo("******");
        assertThat(web.path("config").path("params").path("MODE").asText()).isEqualTo("test");
        assertThat(t.toString()).doesNotContain(SECRET);

        Http.Response logs = Http.get(api + "/api/v1/tasks/" + task + "/services/web/logs");
        assertThat(logs.status()).isEqualTo(200);
        assertThat(logs.contentType()).startsWith("text/plain");
        assertThat(logs.body()).contains("password is ******").doesNotContain(SECRET);

        endAndAwaitRelease(task);
        JsonNode released = Http.get(api + "/api/v1/tasks/" + task).json();
        assertThat(released.path("state").asText()).isEqualTo("released");
        assertThat(released.path("released_at").asText()).isNotEmpty();
        assertThat(released.path("release").path("services").get(0).path("signal").asText()).isEqualTo("SIGTERM");
        assertThat(Http.get(api + "/api/v1/tasks/" + task + "/services/web/logs").body())
                .as("the log outlives the service").contains("password is ******");
        assertProblem(Http.get(api + "/api/v1/tasks/no-such-task"), 404, "no-such-task");
        assertProblem(Http.get(api + "/api/v1/tasks/" + task + "/services/nope/logs"), 404, "nope");
    }

    @Test
    void logs_followAStreamsALiveService_andForceReleaseEndsIt_throughTheNormalSigtermPath() throws Exception {
        String task = readyTask("run: {path: /bin/sh, args: [-c, 'i=0; while true; do echo tick $i; i=$((i+1)); "
                + "sleep 0.1; done']}\ntermination_grace_seconds: 2\n");
        HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/api/v1/tasks/" + task
                + "/services/svc/logs?follow=true")).GET().build();
        HttpResponse<InputStream> response = Http.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> ended = CompletableFuture.runAsync(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> lines.size() >= 5);
        int seen = lines.size();
        await().atMost(Duration.ofSeconds(20)).until(() -> lines.size() >= seen + 5); // live: more keeps coming
        assertThat(ended).isNotDone();

        String url = api + "/api/v1/tasks/" + task;
        assertProblem(Http.send("DELETE", url, null, null), 401, "Bearer");
        assertProblem(Http.send("DELETE", url, "nope", null), 403, "token");
        Http.Response release = Http.send("DELETE", url, TOKEN, null);
        assertThat(release.status()).as(release.body()).isEqualTo(202);

        var released = driver.await(task, EventTypes.TASK_SERVICES_RELEASED, TIMEOUT).payload(TaskServicesReleased.class);
        assertThat(released.services()).singleElement().satisfies(s -> assertThat(s.signal()).isEqualTo("SIGTERM"));
        ended.get(20, TimeUnit.SECONDS); // the follow ends once the service is gone and its log read to the end
        assertThat(lines.get(0)).isEqualTo("tick 0");
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i)).isEqualTo("tick " + i); // nothing lost or repeated
        }
        JsonNode t = Http.get(url).json();
        assertThat(t.path("ended_outcome").asText()).isEqualTo("force-released");
        assertProblem(Http.send("DELETE", api + "/api/v1/tasks/never-heard-of", TOKEN, null), 404, "never-heard-of");
    }

    @Test
    void logs_ofAServiceThatFailedAtStart_areThere_withTheFailure() throws Exception {
        String task = TaskDriver.newTaskId();
        driver.start(task, Map.of("broken", """
                run: {path: /bin/sh, args: [-c, 'echo "FATAL: could not bind 127.0.0.1:7402"; exit 3']}
                ports: [{number: 7402}]
                """));
        driver.await(task, EventTypes.TASK_SERVICES_FAILED, TIMEOUT);
        JsonNode t = Http.get(api + "/api/v1/tasks/" + task).json();
        assertThat(t.path("state").asText()).isIn("failed", "released");
        assertThat(t.path("failure").asText()).contains("broken");
        Http.Response logs = Http.get(api + "/api/v1/tasks/" + task + "/services/broken/logs");
        assertThat(logs.status()).isEqualTo(200);
        assertThat(logs.body()).contains("FATAL: could not bind 127.0.0.1:7402");
        Http.Response tail = Http.get(api + "/api/v1/tasks/" + task + "/services/broken/logs?tail=1");
        assertThat(tail.body()).isEqualTo("FATAL: could not bind 127.0.0.1:7402\n");
        driver.end(task);
    }

    // --- metrics ---------------------------------------------------------------------------------------------

    @Test
    void bothMetricsExpositions_passPromtool_andUsePrometheusNames() throws Exception {
        // per-worker gauges are refreshed once a second: wait for the first refresh rather than race it
        Http.Response orchestrator = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> Http.get(api + "/metrics"),
                        r -> r.body().contains("berth_worker_services_active{worker=\"api-worker\"}"));
        Http.Response agent = Http.get("http://127.0.0.1:" + stack.agentMetricsPort() + "/metrics");
        for (Http.Response r : List.of(orchestrator, agent)) {
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.contentType()).startsWith("text/plain");
            Processes.Result check = Promtool.checkMetrics(r.body());
            assertThat(check.exitCode()).as(check.output()).isZero();
        }
        assertThat(orchestrator.body()).contains("berth_task_ready_seconds_bucket", "berth_task_release_seconds_bucket",
                "berth_service_readiness_lag_seconds_bucket", "berth_service_probe_attempts_count",
                "berth_service_stops_total", "berth_agents_connected", "berth_tasks_active",
                "berth_worker_services_active{worker=\"api-worker\"}", "berth_events_in_total{type=",
                "berth_events_out_total{type=", "berth_dead_letters_total{reason=", "berth_agent_reconnects_total",
                "berth_task_failures_total{reason=", "jvm_memory_used_bytes",
                "vertx_http_server_", "vertx_pool_");
        assertThat(agent.body()).contains("berth_agent_capacity{worker=\"api-worker\"}",
                "berth_agent_services_active", "berth_agent_service_stops_total", "berth_agent_link_reconnects_total",
                "berth_agent_readiness_lag_seconds_bucket", "jvm_memory_used_bytes");
        assertThat(orchestrator.body()).as("no task ids as labels").doesNotContain("task_id")
                .doesNotContainPattern("\"t-[0-9a-f]{8}-");
    }

    // --- CLI views -------------------------------------------------------------------------------------------

    private record Run(int code, String out, String err) {}

    private static Run berth(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        all.add(1, "--api=" + api);
        int code = cli.execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void cliViews_showWorkersTasksOneTaskAndLogs_humanAndJson() throws Exception {
        String task = readyTask("run: {path: /bin/sh, args: [-c, 'echo hello from the service; exec sleep 600']}\n");

        Run workers = berth("workers");
        assertThat(workers.code()).as(workers.err()).isZero();
        assertThat(workers.out()).contains("WORKER", "api-worker", "ready");
        Run workersJson = berth("workers", "--json");
        assertThat(Json.MAPPER.readTree(workersJson.out()).path("items").get(0).path("name").asText())
                .isEqualTo("api-worker");

        Run tasks = berth("tasks", "--state", "ready");
        assertThat(tasks.out()).contains(task, "svc:ready");
        Run one = berth("task", task);
        assertThat(one.out()).contains("task " + task + ": ready on api-worker", "SERVICE", "svc", "task.started",
                "service.ready");
        assertThat(Json.MAPPER.readTree(berth("task", task, "--json").out()).path("id").asText()).isEqualTo(task);

        CommandLine cli = Main.commandLine();
        ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        ((LogsCommand) cli.getSubcommands().get("logs").getCommand()).sink = new PrintStream(logBytes, true);
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute("logs", "--api=" + api, task, "svc")).as(err.toString()).isZero();
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).isEqualTo("hello from the service\n");

        Run noToken = berth("workers", "--drain", "api-worker");
        assertThat(noToken.code()).isEqualTo(ExitCodes.INVALID);
        assertThat(noToken.err()).contains("Unauthorized");
        Run missing = berth("task", "no-such-task");
        assertThat(missing.code()).isEqualTo(ExitCodes.INVALID);
        assertThat(missing.err()).contains("Not Found", "no-such-task");
        Run released = berth("task", task, "--release", "--token", TOKEN);
        assertThat(released.code()).as(released.err()).isZero();
        driver.await(task, EventTypes.TASK_SERVICES_RELEASED, TIMEOUT);
        StringWriter e2 = new StringWriter();
        CommandLine c2 = Main.commandLine();
        c2.setErr(new PrintWriter(e2, true));
        assertThat(c2.execute("workers", "--api=http://127.0.0.1:1")).isEqualTo(ExitCodes.BERTH_ERROR);
        assertThat(e2.toString()).contains("cannot reach the admin API");
    }
}
