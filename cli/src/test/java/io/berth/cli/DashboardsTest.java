package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.EventTypes;
import io.berth.events.json.Json;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's package) scrapes a running orchestrator and agent every second while tasks run —
 * one ready and released, one whose service fails, one whose service ignores SIGTERM and is killed, one bad
 * record dead-lettered — and then every PromQL expression of every dashboard in deploy/grafana/dashboards must
 * return data: a panel that shows nothing is a bug.
 */
class DashboardsTest {
    private static final Path DASHBOARDS = Path.of("deploy/grafana/dashboards");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private static EmbeddedStack stack;
    private static Process prometheus;
    private static String prometheusUrl;

    @BeforeAll
    static void startStackAndPrometheus() throws Exception {
        Promtool.assumeInstalled("prometheus");
        stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "dash-worker", 0, null, 0), null);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                scrape_configs:
                  - job_name: berth-orchestrator
                    static_configs: [{targets: ["127.0.0.1:%d"]}]
                  - job_name: berth-agent
                    static_configs: [{targets: ["127.0.0.1:%d"]}]
                """.formatted(stack.httpPort(), stack.agentMetricsPort()));
        prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        prometheusUrl = "http://127.0.0.1:" + port;
        // both targets scraped at least once before anything happens: rates then start from the zeros
        await().atMost(TIMEOUT).ignoreExceptions().until(() ->
                query("sum(up)").path(0).path("value").path(1).asDouble() == 2);
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor();
        }
        if (stack != null) {
            TestStacks.close(stack);
        }
    }

    private static JsonNode query(String promql) {
        Http.Response r = Http.get(prometheusUrl + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        JsonNode body = r.json();
        if (!"success".equals(body.path("status").asText())) {
            throw new AssertionError(promql + ": " + r.body());
        }
        return body.path("data").path("result");
    }

    @Test
    void everyDashboardExpression_returnsData_afterAFewTasks() throws Exception {
        try (TaskDriver driver = new TaskDriver(stack.bootstrapServers())) {
            String ok = TaskDriver.newTaskId();
            driver.start(ok, Map.of("web", "run: {path: %s, args: ['7410', hi]}\nports: [{number: 7410}]\n"
                    .formatted(Processes.ANSWER_SCRIPT)));
            String failing = TaskDriver.newTaskId();
            driver.start(failing, Map.of("broken", "run: {path: /bin/sh, args: [-c, 'echo no; exit 1']}\n"
                    + "ports: [{number: 7411}]\n"));
            String deaf = TaskDriver.newTaskId();
            driver.start(deaf, Map.of("deaf", """
                    run: {path: /bin/sh, args: [-c, 'trap "" TERM; while true; do sleep 0.1; done']}
                    termination_grace_seconds: 0.3
                    """));
            driver.publishRaw("garbage", "this is not an event".getBytes(StandardCharsets.UTF_8));
            driver.await(ok, EventTypes.TASK_SERVICES_READY, TIMEOUT);
            driver.await(deaf, EventTypes.TASK_SERVICES_READY, TIMEOUT);
            driver.await(failing, EventTypes.TASK_SERVICES_FAILED, TIMEOUT);
            driver.end(ok);
            driver.end(deaf);
            driver.end(failing);
            driver.await(ok, EventTypes.TASK_SERVICES_RELEASED, TIMEOUT);
            driver.await(deaf, EventTypes.TASK_SERVICES_RELEASED, TIMEOUT);
            driver.await(failing, EventTypes.TASK_SERVICES_RELEASED, TIMEOUT);
        }

        List<String> expressions = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(DASHBOARDS)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).extracting(p -> p.getFileName().toString())
                .contains("berth-overview.json", "berth-workers.json");
        for (Path file : files) {
            JsonNode dashboard = Json.MAPPER.readTree(file.toFile());
            for (JsonNode panel : dashboard.path("panels")) {
                assertThat(panel.path("targets")).as(file + ": " + panel.path("title")).isNotEmpty();
                for (JsonNode target : panel.path("targets")) {
                    expressions.add(file.getFileName() + " / " + panel.path("title").asText() + " :: "
                            + target.path("expr").asText());
                }
            }
            for (JsonNode variable : dashboard.path("templating").path("list")) {
                String q = variable.path("query").path("query").asText();
                var m = java.util.regex.Pattern.compile("label_values\\((\\w+), *(\\w+)\\)").matcher(q);
                assertThat(m.matches()).as(q).isTrue();
                expressions.add(file.getFileName() + " / $" + variable.path("name").asText() + " :: count by ("
                        + m.group(2) + ") (" + m.group(1) + ")");
            }
        }
        assertThat(expressions).hasSizeGreaterThan(20);
        // what the tasks above did shows up as more than zeros
        for (String nonZero : List.of(
                "sum(increase(berth_task_failures_total[5m]))",
                "sum(increase(berth_service_stops_total{signal=\"SIGKILL\"}[5m]))",
                "sum(increase(berth_agent_service_stops_total{signal=\"SIGKILL\"}[5m]))",
                "sum(increase(berth_dead_letters_total{reason=\"malformed-json\"}[5m]))",
                "sum(increase(berth_events_out_total{type=\"berth.task.services.released.v1\"}[5m]))",
                "histogram_quantile(0.5, sum by (le) (rate(berth_task_ready_seconds_bucket[5m])))",
                "histogram_quantile(0.5, sum by (le) (rate(berth_service_readiness_lag_seconds_bucket[5m])))")) {
            await().pollInSameThread().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(query(nonZero).path(0).path("value").path(1).asDouble()).as(nonZero).isPositive());
        }
        for (String entry : expressions) {
            String expr = entry.substring(entry.indexOf(" :: ") + 4)
                    .replace("$__rate_interval", "1m").replace("$worker", ".*");
            await().pollInSameThread().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                JsonNode result = query(expr);
                assertThat(result).as(entry + " returns no series").isNotEmpty();
                boolean finite = false;
                for (JsonNode series : result) {
                    String value = series.path("value").path(1).asText();
                    finite |= !value.equals("NaN") && !value.contains("Inf");
                }
                assertThat(finite).as(entry + " returns only NaN: " + result).isTrue();
            });
        }
    }
}
