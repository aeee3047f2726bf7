package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.kafka.embedded.EmbeddedKafka;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * What the images run, run for real: {@code berth orchestrator} and {@code berth agent} as separate processes,
 * configured only by the environment deploy/docker-compose.yml gives them (host names and ports mapped to this
 * machine), find each other, serve the admin API and both /metrics, keep service logs under the configured cap,
 * pass the compose file's healthcheck, and stop cleanly on SIGTERM. The orchestrator starts before Kafka: alive at
 * once, ready only once Kafka is there.
 */
class DeployedProcessesTest {
    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private EmbeddedKafka kafka;

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        // a killed agent leaves its tasks' tmpfs for a successor this test never starts
        io.berth.agent.sandbox.TaskFilesMount.unmount(io.berth.agent.StateLayout.of(dir.resolve("agent-state")).tasks());
        if (kafka != null) {
            kafka.close();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> composeService(String name) throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(Path.of("deploy/docker-compose.yml")));
        return ((Map<String, Map<String, Object>>) compose.get("services")).get(name);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> composeEnvironment(String service, Map<String, String> hosts) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        ((Map<String, Object>) composeService(service).get("environment")).forEach((k, v) -> {
            String value = String.valueOf(v);
            for (var h : hosts.entrySet()) {
                value = value.replace(h.getKey(), h.getValue());
            }
            env.put(k, value);
        });
        return env;
    }

    private Process berth(String subcommand, Map<String, String> env, String logName) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.berth.cli.Main", subcommand)
                .redirectErrorStream(true).redirectOutput(dir.resolve(logName).toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("BERTH_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    @Test
    void orchestratorAndAgent_configuredByTheComposeEnvironment_workTogether_andStopOnSigterm() throws Exception {
        int kafkaPort = freePort();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        int grpc = freePort();
        int http = freePort();
        int metrics = freePort();
        // what the compose file's certs service makes, for the addresses used here
        Path certs = dir.resolve("certs");
        var ca = io.berth.cli.certs.CertificateAuthority.openOrCreate(certs);
        ca.issueOrchestrator(List.of("orchestrator", "127.0.0.1"));
        ca.issueAgent("agent-1");
        Map<String, String> orchestratorEnv = composeEnvironment("orchestrator", Map.of("kafka:9092", bootstrap,
                "/certs", certs.toString()));
        orchestratorEnv.put("BERTH_GRPC_PORT", String.valueOf(grpc));
        orchestratorEnv.put("BERTH_HTTP_PORT", String.valueOf(http));
        orchestratorEnv.put("BERTH_HTTP_HOST", "127.0.0.1");
        orchestratorEnv.put("BERTH_API_TOKEN", "deploy-test");
        Map<String, String> agentEnv = composeEnvironment("agent-1", Map.of("kafka:9092", bootstrap,
                "orchestrator:7700", "127.0.0.1:" + grpc, "0.0.0.0", "127.0.0.1", "/certs", certs.toString()));
        agentEnv.put("BERTH_METRICS_PORT", String.valueOf(metrics));
        agentEnv.put("BERTH_STATE_DIR", dir.resolve("agent-state").toString());
        agentEnv.put("BERTH_LOG_MAX_BYTES", "4096");

        // the orchestrator comes up before Kafka: alive, but not ready until Kafka is there
        Process orchestrator = berth("orchestrator", orchestratorEnv, "orchestrator.log");
        String api = "http://127.0.0.1:" + http;
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> Http.get(api + "/healthz").status() == 200);
        } catch (Throwable e) {
            throw new AssertionError("orchestrator:\n" + Files.readString(dir.resolve("orchestrator.log")), e);
        }
        Http.Response notReady = Http.get(api + "/readyz");
        assertThat(notReady.status()).as(notReady.body()).isEqualTo(503);
        assertThat(notReady.contentType()).startsWith("application/problem+json");
        assertThat(notReady.json().path("checks").path("kafka").asBoolean()).isFalse();
        kafka = EmbeddedKafka.builder().port(kafkaPort).logDir(dir.resolve("kafka")).start();
        Process agent = berth("agent", agentEnv, "agent.log");
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> Http.get(api + "/api/v1/workers").json().path("items").path(0).path("name").asText()
                            .equals(agentEnv.get("BERTH_WORKER")));
        } catch (Throwable e) {
            throw new AssertionError("orchestrator:\n" + Files.readString(dir.resolve("orchestrator.log"))
                    + "\nagent:\n" + Files.readString(dir.resolve("agent.log")), e);
        }
        assertThat(Http.get(api + "/readyz").status()).isEqualTo(200);
        assertThat(Http.get(api + "/metrics").body()).contains("berth_agents_connected 1.0");
        assertThat(Http.get("http://127.0.0.1:" + metrics + "/metrics").body())
                .contains("berth_agent_capacity{worker=\"" + agentEnv.get("BERTH_WORKER") + "\"} "
                        + Double.parseDouble(agentEnv.get("BERTH_CAPACITY")));
        // a chatty service's log is kept under BERTH_LOG_MAX_BYTES, newest output first, and the API says so
        try (TaskDriver driver = new TaskDriver(bootstrap)) {
            String task = TaskDriver.newTaskId();
            driver.start(task, Map.of("chatty", "run: {path: /bin/sh, args: [-c, 'i=0; while [ $i -lt 2000 ]; do "
                    + "echo line $i; i=$((i+1)); done; exec sleep 600']}\n"));
            driver.await(task, io.berth.events.EventTypes.TASK_SERVICES_READY, Duration.ofSeconds(60));
            String logs = api + "/api/v1/tasks/" + task + "/services/chatty/logs";
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                String text = Http.get(logs).body();
                assertThat(text).startsWith("[berth: ").contains(" bytes dropped by the log size cap]")
                        .endsWith("line 1999\n");
                assertThat(text.length()).isLessThan(4096 + 100);
            });
            driver.end(task);
            driver.await(task, io.berth.events.EventTypes.TASK_SERVICES_RELEASED, Duration.ofSeconds(60));
        }
        assertThat(Http.send("POST", api + "/api/v1/workers/" + agentEnv.get("BERTH_WORKER") + "/drain",
                "deploy-test", null).status()).isEqualTo(200);

        // the compose file's healthcheck, pointed at this orchestrator
        @SuppressWarnings("unchecked")
        List<String> test = (List<String>) ((Map<String, Object>) composeService("orchestrator").get("healthcheck"))
                .get("test");
        assertThat(test.subList(0, 3)).containsExactly("CMD", "bash", "-c");
        Processes.Result health = Processes.run("bash", "-c", test.get(3).replace("7780", String.valueOf(http)));
        assertThat(health.exitCode()).as(health.output()).isZero();

        agent.destroy(); // SIGTERM
        orchestrator.destroy();
        assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(orchestrator.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).as(Files.readString(dir.resolve("agent.log"))).isIn(0, 143);
        assertThat(orchestrator.exitValue()).isIn(0, 143);
    }
}
