package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.json.Json;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * deploy/: the compose file is valid (docker-compose's own check), Prometheus's config is valid (promtool), and
 * the images' entrypoints, their ENV, the compose environment, the commands' BERTH_* variables and the README's
 * table all say the same thing. The images themselves are not built here (no registry to pull base images from).
 */
class DeploymentFilesTest {
    private static final Path DEPLOY = Path.of("deploy");
    private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:(BERTH_[A-Z_]+)");

    /** The BERTH_* variables a command reads: its options default to them. */
    static Set<String> variablesOf(Class<?> command) {
        Set<String> out = new TreeSet<>();
        for (Field f : command.getDeclaredFields()) {
            Option option = f.getAnnotation(Option.class);
            if (option != null) {
                Matcher m = ENV_DEFAULT.matcher(option.defaultValue());
                if (m.find()) {
                    out.add(m.group(1));
                }
            }
            if (f.getAnnotation(picocli.CommandLine.Mixin.class) != null) { // options shared by several commands
                out.addAll(variablesOf(f.getType()));
            }
        }
        return out;
    }

    private static Map<String, Class<?>> entrypointCommands() {
        return Map.of("orchestrator", OrchestratorServeCommand.class, "agent", AgentServeCommand.class);
    }

    @Test
    void composeFile_isValid_forDockerCompose() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/docker-compose")),
                "docker-compose is not installed: apt-get install docker-compose (bin/test does)");
        Processes.Result config = Processes.run("docker-compose", "-f", DEPLOY.resolve("docker-compose.yml").toString(),
                "config", "-q");
        assertThat(config.exitCode()).as(config.output()).isZero();
    }

    @Test
    void prometheusConfig_isValid_andScrapesTheOrchestratorAndEveryAgent() throws Exception {
        Promtool.assumeInstalled("promtool");
        Path config = DEPLOY.resolve("prometheus/prometheus.yml");
        Processes.Result check = Processes.run("promtool", "check", "config", config.toString());
        assertThat(check.exitCode()).as(check.output()).isZero();
        String text = Files.readString(config);
        assertThat(text).contains("orchestrator:7780", "agent-1:9464", "agent-2:9464");
    }

    @Test
    @SuppressWarnings("unchecked")
    void imagesAndComposeAndReadme_agreeOnTheEntrypointsAndTheirVariables() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Map<String, Object> compose = new Yaml().load(Files.readString(DEPLOY.resolve("docker-compose.yml")));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        CommandLine cli = Main.commandLine();
        String launcher = Files.readString(DEPLOY.resolve("berth"));
        assertThat(launcher).contains("io.berth.cli.Main");
        assertThat(Files.isExecutable(DEPLOY.resolve("berth"))).isTrue();

        for (var entry : entrypointCommands().entrySet()) {
            String subcommand = entry.getKey();
            Set<String> variables = variablesOf(entry.getValue());
            assertThat(cli.getSubcommands()).containsKey(subcommand);
            assertThat(cli.getSubcommands().get(subcommand).getCommand().getClass()).isEqualTo(entry.getValue());
            assertThat(variables).contains("BERTH_KAFKA_BOOTSTRAP");

            Path dockerfile = DEPLOY.resolve("Dockerfile." + subcommand);
            String docker = Files.readString(dockerfile);
            assertThat(docker).as(dockerfile + " entrypoint")
                    .contains("ENTRYPOINT [\"berth\", \"" + subcommand + "\"]")
                    .contains("COPY deploy/berth /usr/local/bin/berth")
                    .contains("/opt/berth/classes").contains("/opt/berth/lib");
            assertThat(dockerEnv(docker)).as(dockerfile + " ENV").isSubsetOf(variables);

            List<String> composeServices = new ArrayList<>();
            services.forEach((name, service) -> {
                // a service with an entrypoint of its own (certs) runs another command of the image
                if (("berth-" + subcommand).equals(service.get("image")) && !service.containsKey("entrypoint")) {
                    composeServices.add(name);
                    Map<String, Object> environment = (Map<String, Object>) service.get("environment");
                    assertThat(environment.keySet()).as("compose service " + name).isSubsetOf(variables)
                            .contains("BERTH_KAFKA_BOOTSTRAP");
                }
            });
            assertThat(composeServices).as("compose services running the " + subcommand + " image").isNotEmpty();

            for (String variable : variables) {
                assertThat(readme).as("README documents " + variable).contains("`" + variable + "`");
            }
        }
        // agents run privileged (namespaces) and expose metrics to Prometheus, not just to their own loopback
        for (String agent : List.of("agent-1", "agent-2")) {
            Map<String, Object> service = services.get(agent);
            assertThat(service.get("privileged")).isEqualTo(true);
            assertThat(((Map<String, Object>) service.get("environment")).get("BERTH_METRICS_HOST")).isEqualTo("0.0.0.0");
        }
        Map<String, Object> kafka = (Map<String, Object>) ((Map<String, Object>) services.get("kafka")).get("environment");
        assertThat(kafka.get("KAFKA_PROCESS_ROLES")).as("Kafka in KRaft mode").isEqualTo("broker,controller");
    }

    @Test
    @SuppressWarnings("unchecked")
    void grafana_isProvisionedWithTheDashboards_andThePrometheusDatasourceTheyUse() throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(DEPLOY.resolve("docker-compose.yml")));
        Map<String, Object> grafana = (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get("grafana");
        assertThat((List<String>) grafana.get("volumes")).contains(
                "./grafana/provisioning:/etc/grafana/provisioning:ro", "./grafana/dashboards:/var/lib/grafana/dashboards:ro");
        Map<String, Object> provider = new Yaml().load(Files.readString(
                DEPLOY.resolve("grafana/provisioning/dashboards/berth.yml")));
        assertThat(provider.toString()).contains("path=/var/lib/grafana/dashboards");
        Map<String, Object> datasource = new Yaml().load(Files.readString(
                DEPLOY.resolve("grafana/provisioning/datasources/prometheus.yml")));
        String uid = (String) ((List<Map<String, Object>>) datasource.get("datasources")).get(0).get("uid");
        for (String file : List.of("berth-overview.json", "berth-workers.json")) {
            JsonNode dashboard = Json.MAPPER.readTree(DEPLOY.resolve("grafana/dashboards").resolve(file).toFile());
            assertThat(dashboard.path("uid").asText()).isNotEmpty();
            for (JsonNode panel : dashboard.path("panels")) {
                assertThat(panel.path("datasource").path("uid").asText()).as(file).isEqualTo(uid);
            }
        }
    }

    private static Set<String> dockerEnv(String dockerfile) {
        Set<String> out = new TreeSet<>();
        Matcher block = Pattern.compile("(?m)^ENV ((?:.*\\\\\\n)*.*)$").matcher(dockerfile);
        while (block.find()) {
            Matcher kv = Pattern.compile("([A-Z_]+)=").matcher(block.group(1));
            while (kv.find()) {
                out.add(kv.group(1));
            }
        }
        return out;
    }
}
