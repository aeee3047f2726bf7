package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/berth} commands, run in-process against one embedded stack. */
class CliTest {
    private static EmbeddedStack stack;

    @TempDir
    Path dir;

    private final BerthCli cli = new BerthCli();
    private final StringWriter out = cli.out;
    private final StringWriter err = cli.err;

    @BeforeAll
    static void startStack() {
        stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "cli-worker"), null);
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            TestStacks.close(stack);
        }
    }

    private int berth(String... args) {
        return cli.run(args);
    }

    @Test
    void run_interpolatesSvcVariables_runsInTheTaskNamespace_andReturnsTheCommandsExitCode() throws Exception {
        Path answer = dir.resolve("answer");
        int code = berth("run", "--bootstrap", stack.bootstrapServers(),
                "--service", "redis=examples/services/redis.yml",
                "--env", "REDIS=((.svc:redis.address))",
                "--", "sh", "-c", "redis-cli -h ((.svc:redis.host)) -p ((.svc:redis.port)) ping > " + answer
                        + "; echo \"$REDIS\" >> " + answer + "; exit 5");

        assertThat(code).as(err.toString()).isEqualTo(5);
        assertThat(Files.readAllLines(answer)).containsExactly("PONG", "127.0.0.1:6379");
        assertThat(err.toString()).contains("redis: ready", "redis stopped by SIGTERM");
    }

    @Test
    void run_withTaskFile_exportsTheTasksParams() throws Exception {
        Path answer = dir.resolve("answer");
        int code = berth("run", "--bootstrap", stack.bootstrapServers(), "--task", "examples/tasks/integration.yml",
                "--", "sh", "-c", "psql \"postgresql://postgres@$POSTGRES_ADDRESS/postgres\" -tAc 'select 6 * 7' > "
                        + answer);

        assertThat(code).as(err.toString()).isZero();
        assertThat(Files.readString(answer).strip()).isEqualTo("42");
    }

    @Test
    void run_whenAServiceFails_doesNotRunTheCommand_andExitsWith3() throws Exception {
        Path service = dir.resolve("broken.yml");
        Files.writeString(service, """
                run: {path: /bin/sh, args: [-c, 'echo cannot start; exit 1']}
                ports: [{number: 7300}]
                """);
        Path marker = dir.resolve("ran");

        int code = berth("run", "--bootstrap", stack.bootstrapServers(), "--service", "broken=" + service,
                "--", "touch", marker.toString());

        assertThat(code).isEqualTo(ExitCodes.SERVICE_FAILED);
        assertThat(marker).doesNotExist();
        assertThat(err.toString()).contains("service broken failed", "cannot start");
    }

    @Test
    void validate_acceptsTheExamples() {
        int code = berth("validate", "examples/services/postgres.yml", "examples/services/redis.yml",
                "examples/tasks/integration.yml");
        assertThat(code).as(err.toString()).isZero();
    }

    @Test
    void validate_reportsEveryErrorWithItsLocation() throws Exception {
        Path bad = dir.resolve("bad.yml");
        Files.writeString(bad, """
                run: {path: redis-server}
                ports:
                - number: 70000
                startup_probe:
                  period_seconds: -1
                """);
        int code = berth("validate", bad.toString());
        assertThat(code).isEqualTo(ExitCodes.INVALID);
        assertThat(err.toString()).contains(bad + ": ")
                .contains("$.ports[0].number").contains("line 3")
                .contains("$.startup_probe.period_seconds").contains("line 5");
    }

    @Test
    void validate_findsVariablesThatCanNeverResolve_withTheirLocation() throws Exception {
        Path task = dir.resolve("task.yml");
        Files.writeString(task, """
                task: integration
                across:
                - var: version
                  values: ["15", "16"]
                params:
                  DB: ((.svc:postgres.address))
                  METRICS: ((.svc:postgres.ports.metrics))
                  CACHE: ((.svc:redis.address))
                  VERSION: ((.:version))
                  FLAVOUR: ((.:flavour))
                services:
                - name: postgres
                  file: examples/services/postgres.yml
                """);
        int code = berth("validate", task.toString());

        assertThat(code).isEqualTo(ExitCodes.INVALID);
        assertThat(err.toString())
                .contains("$.params.METRICS (line 7, column 12): ((.svc:postgres.ports.metrics)): service 'postgres' has no port 'metrics' (ports: default)")
                .contains("$.params.CACHE (line 8, column 10): ((.svc:redis.address)): no service 'redis' (the task has services: postgres)")
                .contains("$.params.FLAVOUR (line 10, column 12): ((.:flavour)) is bound by nothing")
                .doesNotContain("$.params.DB").doesNotContain("$.params.VERSION");
    }

    @Test
    void runHelp_listsEveryNetworkMode_andTheExitCodes() {
        berth("run", "--help");
        assertThat(out.toString()).contains("namespace (default), bridge, host")
                .contains("130/143/129").contains("--lease").contains("--on-service-exit");
    }

    @Test
    void scripts_neverKillProcessesByName() throws Exception {
        // a name matches every process of that name on the machine, services of running tasks included
        for (String script : java.util.List.of("bin/test", "bin/berth", "load-tests/run")) {
            String text = Files.readString(Path.of(script));
            assertThat(text).as(script).doesNotContainPattern("(?m)^[^#]*\\b(pkill|killall)\\b");
        }
    }
}
