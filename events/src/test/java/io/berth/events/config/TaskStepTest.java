package io.berth.events.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.berth.events.validation.ValidationError;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TaskStepTest {
    private static final String SOURCE = "pipeline.yml";

    @Test
    void proposalTaskStep_declaresPostgresFromAFile() {
        TaskStep step = TaskStep.parseYaml(Resources.text("proposal/task-step.yml"), SOURCE);

        assertEquals("integration-tests", step.task());
        assertEquals(Map.of("POSTGRES_ADDRESS", "((.svc:postgres.address))"), step.params());
        assertEquals(List.of(new ServiceRequest("postgres", "ci/services/postgres.yml", null, null, null)),
                step.services());
    }

    @Test
    void proposalAcrossStep_overridesTheImagePerValue() {
        TaskStep step = TaskStep.parseYaml(Resources.text("proposal/across-step.yml"), SOURCE);

        assertEquals("integration-suite", step.task());
        ServiceRequest postgres = step.service("postgres");
        assertEquals("ci/services/postgres.yml", postgres.file());
        assertEquals("postgres-((.:postgres_version))", postgres.image());
    }

    @Test
    void designServiceEntry_carriesImageAndParamsOverrides() {
        TaskStep step = TaskStep.parseYaml("task: test\n" + Resources.text("proposal/design-services.yml"), SOURCE);

        ServiceRequest postgres = step.service("postgres");
        assertEquals("postgres-((.:postgres_version))", postgres.image());
        assertEquals(Map.of("POSTGRES_PASSWORD", "secret"), postgres.params());
    }

    @Test
    void inlineConfig_isParsedWithTheServiceConfigRules() {
        TaskStep step = TaskStep.parseYaml("""
                task: test
                privileged: false
                timeout: 1h
                input_mapping: {repo: source}
                tags: [linux]
                attempts: 2
                params: {PORT: 5432, DEBUG: true}
                services:
                - name: redis
                  config:
                    image: redis:7
                    ports: [{number: 6379}]
                """, SOURCE);

        ServiceConfig redis = step.service("redis").config();
        assertEquals("redis:7", redis.image());
        assertEquals(List.of(new PortSpec("default", 6379)), redis.ports());
        assertNull(step.service("redis").file());
        assertEquals(Map.of("PORT", "5432", "DEBUG", "true"), step.params());
    }

    @Test
    void proposalPrototypeEntry_writtenFlatInATask_isTheConfigItself() {
        String entry = Resources.text("proposal/prototype-service.yml").replaceAll("(?m)^", "  ").replaceFirst("  ", "- ");
        TaskStep step = TaskStep.parseYaml("task: test\nservices:\n" + entry, SOURCE);

        ServiceRequest concourse = step.service("concourse");
        assertNull(concourse.file());
        assertNull(concourse.image());
        assertEquals(Map.of(), concourse.params());
        ServiceConfig config = concourse.config();
        assertEquals("docker-compose", config.type());
        assertEquals("up", config.run().message());
        assertEquals(Map.of("files", List.of("concourse/docker-compose.yml",
                "ci/overrides/docker-compose.ci-containerd.yml")), config.params());
        assertEquals(List.of("concourse", "ci"), config.inputs().stream().map(InputSpec::name).toList());
        assertEquals(List.of(new PortSpec("web", 8080)), config.ports());
    }

    @Test
    void flatEntry_imageAndParams_areTheConfigsOwn() {
        TaskStep step = TaskStep.parseYaml("""
                task: test
                services:
                - name: redis
                  image: redis:7
                  params: {REDIS_ARGS: --save ''}
                  ports: [{number: 6379}]
                - name: db
                  file: ci/services/postgres.yml
                """, SOURCE);

        assertEquals("redis:7", step.service("redis").config().image());
        assertEquals(Map.of("REDIS_ARGS", "--save ''"), step.service("redis").config().params());
        assertEquals("ci/services/postgres.yml", step.service("db").file());
    }

    static Stream<Arguments> invalidSteps() {
        return Stream.of(
                Arguments.of("port out of range in an inline config", """
                        task: integration-tests
                        services:
                        - name: postgres
                          config:
                            image: postgres
                            ports:
                            - number: 0
                        """, List.of("$.services[0].config.ports[0].number (line 7, column 15): must be between 1 and 65535")),
                Arguments.of("neither file nor config", "task: t\nservices:\n- name: db\n",
                        List.of("$.services[0] (line 3, column 3): missing 'file' or 'config': a service needs a config")),
                Arguments.of("both file and config", "task: t\nservices:\n- name: db\n  file: a.yml\n  config: {image: x}\n",
                        List.of("$.services[0] (line 3, column 3): give either 'file' or 'config', not both")),
                Arguments.of("duplicate services", "task: t\nservices:\n- {name: db, file: a.yml}\n- {name: db, file: b.yml}\n",
                        List.of("$.services[1].name (line 4, column 10): duplicate service name 'db' (also services[0])")),
                Arguments.of("misspelt services key", "task: t\nservice:\n- {name: db, file: a.yml}\n",
                        List.of("$.service (line 2, column 1): unknown field 'service' (did you mean 'services'?)")),
                Arguments.of("service without a name", "task: t\nservices:\n- file: a.yml\n",
                        List.of("$.services[0] (line 3, column 3): missing required field 'name'")),
                Arguments.of("no task name", "file: t.yml\n",
                        List.of("$ (line 1, column 1): missing required field 'task'")),
                Arguments.of("unknown field in a flat entry", "task: t\nservices:\n- name: c\n  type: docker-compose\n  prams: {}\n",
                        List.of("$.services[0].prams (line 5, column 3): unknown field 'prams' (did you mean 'params'?)")),
                Arguments.of("flat entry with nothing to run", "task: t\nservices:\n- name: c\n  ports: [{number: 80}]\n",
                        List.of("$.services[0] (line 3, column 3): nothing to run: set run.path (a process), image or "
                                + "image_resource (a container), or type (a prototype)")),
                Arguments.of("flat entry's rules", "task: t\nservices:\n- name: c\n  image: x\n  ports: [{number: 80}, {number: 80}]\n",
                        List.of("$.services[0].ports[1] (line 5, column 25): duplicate port name 'default' (also ports[0]); "
                                + "a port without a name is named 'default'",
                                "$.services[0].ports[1].number (line 5, column 34): port 80 is already listed as 'default'")),
                Arguments.of("null param", "task: t\nparams: {A: }\n",
                        List.of("$.params.A (line 2, column 12): must not be null")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSteps")
    void invalidStep_reportsPathAndPosition(String why, String yaml, List<String> expected) {
        var e = assertThrows(InvalidConfigException.class, () -> TaskStep.parseYaml(yaml, SOURCE));

        assertEquals(expected, e.errors().stream().map(ValidationError::toString).toList());
    }
}
