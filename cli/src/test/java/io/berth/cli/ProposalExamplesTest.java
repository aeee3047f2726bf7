package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.agent.runtime.prototype.PrototypeRuntime;
import io.berth.agent.AgentSettings;
import io.berth.events.EventTypes;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The services proposal's examples run as written, with real containers: an {@code across} matrix of locally
 * built images ({@code examples/matrix}) and a two-file compose stack through the {@code docker-compose} prototype
 * ({@code examples/docker-compose}). The agent runs containers through a private {@code podman system service};
 * every task and service is real, and what is claimed about concurrency is read from the events.
 */
class ProposalExamplesTest {
    private static final Pattern TASK_STARTING = Pattern.compile("\\[([^\\]]+)\\] berth: task (run-[0-9a-f-]+): starting");
    private static final Pattern ONE_TASK_STARTING = Pattern.compile("berth: task (run-[0-9a-f-]+): starting");

    private static PodmanService podman;
    private static EmbeddedStack stack;
    private static EventRecorder recorder;

    @TempDir
    Path dir;

    private final BerthCli cli = new BerthCli();
    private final StringWriter out = cli.out;
    private final StringWriter err = cli.err;

    @BeforeAll
    static void start() throws Exception {
        String missing = PodmanService.unavailable();
        Assumptions.assumeTrue(missing == null, missing);
        podman = PodmanService.start();
        PodmanService.build("examples/matrix/build-images");
        PodmanService.build("examples/docker-compose/build-images");
        // the agent as bin/berth makes it: the repository's prototypes, docker-compose trusted with the engine
        Map<String, String> properties = Map.of(AgentSettings.ENGINE_SOCKET_PROPERTY, podman.socket().toString(),
                AgentSettings.PROTOTYPE_PATH_PROPERTY, "examples/prototypes",
                PrototypeRuntime.ENGINE_PROTOTYPES_PROPERTY, "docker-compose");
        Map<String, String> before = new java.util.HashMap<>();
        properties.forEach((k, v) -> before.put(k, System.setProperty(k, v)));
        try {
            stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "examples-worker"), null);
        } finally {
            before.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
        recorder = new EventRecorder(stack.bootstrapServers());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (recorder != null) {
                recorder.close();
            }
            if (stack != null) {
                TestStacks.close(stack);
            }
        } finally {
            if (podman != null) {
                podman.close();
            }
        }
    }

    private int berth(String... args) {
        return cli.run(args);
    }

    @Test
    void acrossMatrix_runsOneTaskPerVersion_atMostTwoAtOnce_eachAgainstItsOwnImage() throws Exception {
        // each CMD checks its version and waits until two CMDs have started: the first two combinations must
        // overlap, so "at most two" is tested against a run that really had two in flight
        String cmd = "v=$(busybox wget -qO- http://$WEB_ADDRESS/); echo \"got $v\"; touch " + dir + "/started-$EXPECTED_VERSION;"
                + " n=0; while [ $(ls " + dir + " | grep -c started) -lt 2 ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done;"
                + " test \"$v\" = \"web version $EXPECTED_VERSION\"";

        int code = berth("run", "--bootstrap", stack.bootstrapServers(), "--task", "examples/matrix/task.yml",
                "--", "sh", "-c", cmd);

        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("[web_version=1] got web version 1", "[web_version=2] got web version 2",
                "[web_version=3] got web version 3");
        assertThat(err.toString()).contains("across web_version: 3 combinations, at most 2 at once",
                "3 of 3 combinations succeeded");
        assertThat(err.toString().lines().filter(l -> l.matches("web_version=[123] +\\d+ ms +0 +SIGTERM")))
                .as(err.toString()).hasSize(3);
        Map<String, String> tasks = tasksByCombination(err.toString());
        assertThat(tasks).containsOnlyKeys("web_version=1", "web_version=2", "web_version=3");
        // from the events: each task from its task.started to its services' release, never three at once
        List<OffsetDateTime[]> spans = new ArrayList<>();
        for (String task : tasks.values()) {
            OffsetDateTime started = recorder.only(task, EventTypes.TASK_STARTED).time();
            org.awaitility.Awaitility.await().until(() -> recorder.count(task, EventTypes.TASK_SERVICES_RELEASED) == 1);
            spans.add(new OffsetDateTime[] {started, recorder.only(task, EventTypes.TASK_SERVICES_RELEASED).time()});
        }
        assertThat(mostAtOnce(spans)).as("tasks in flight at once").isEqualTo(2);
    }

    @Test
    void acrossMatrix_failFast_stopsAtTheFirstFailure_andExitsWithItsCode() throws Exception {
        Path task = dir.resolve("fail-fast.yml");
        Files.writeString(task, Files.readString(Path.of("examples/matrix/task.yml"))
                .replace("max_in_flight: 2", "max_in_flight: 1\n  fail_fast: true"));

        int code = berth("run", "--bootstrap", stack.bootstrapServers(), "--task", task.toString(),
                "--", "sh", "-c", "test \"$EXPECTED_VERSION\" != 2 || exit 7");

        assertThat(code).as(err.toString()).isEqualTo(7);
        assertThat(err.toString()).contains("1 of 3 combinations succeeded");
        assertThat(err.toString().lines().filter(l -> l.matches("web_version=2 +\\d+ ms +7 +SIGTERM\\s*"))).hasSize(1);
        assertThat(err.toString().lines().filter(l -> l.matches("web_version=3 +- +- +- +not run \\(fail_fast\\)")))
                .as(err.toString()).hasSize(1);
        assertThat(tasksByCombination(err.toString())).containsOnlyKeys("web_version=1", "web_version=2");
    }

    @Test
    void validate_acceptsTheExamplesAsTheyRun_andRejectsAnUnboundLocalVar() throws Exception {
        Path unbound = dir.resolve("unbound.yml");
        Files.writeString(unbound, Files.readString(Path.of("examples/matrix/task.yml"))
                .replace("EXPECTED_VERSION: ((.:web_version))", "EXPECTED_VERSION: ((.:version))"));

        assertThat(berth("validate", "examples/matrix/task.yml", "examples/docker-compose/task.yml"))
                .as(err.toString()).isZero();
        assertThat(out.toString()).contains("examples/matrix/task.yml: ok (task, across: 3 combinations)",
                "examples/docker-compose/task.yml: ok (task)");
        assertThat(berth("validate", unbound.toString())).isEqualTo(ExitCodes.INVALID);
        assertThat(err.toString()).contains(unbound + ": $.params.EXPECTED_VERSION (line 10, column 21): "
                + "((.:version)) is bound by nothing: no across: var of this step is called 'version' (bound: web_version)");
    }

    @Test
    void dockerComposePrototype_runsTheProposalsTwoFileStack_inTheTasksNamespaceOnly_andDownRemovesIt() throws Exception {
        String firewall = host("nft", "list", "ruleset");
        String forwarding = Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward"));
        String networks = host("podman", "network", "ls", "--format", "{{.Name}}");
        // the task reaches the web server on 127.0.0.1 of its namespace; from the host's network nothing answers
        Path answer = dir.resolve("answer");
        String cmd = "busybox wget -qO- http://$WEB_ADDRESS/cgi-bin/index > " + answer + ";"
                + " host=/proc/" + ProcessHandle.current().pid() + "/ns/net;" // this JVM's: the host's network
                + " nsenter --net=$host true || exit 3;"
                + " if nsenter --net=$host busybox wget -T 2 -qO- http://$WEB_ADDRESS/cgi-bin/index; then"
                + " echo reachable from the host; exit 1; fi";

        int code = berth("run", "--bootstrap", stack.bootstrapServers(), "--task", "examples/docker-compose/task.yml",
                "--input", "concourse=examples/docker-compose/concourse", "--input", "ci=examples/docker-compose/ci",
                "--", "sh", "-c", cmd);

        assertThat(code).as(err.toString()).isZero();
        assertThat(Files.readString(answer)).as(err.toString()).isEqualTo("web got from the ci override\n");
        assertThat(err.toString()).contains("concourse: ready at 127.0.0.1 {web=8080}", "concourse stopped by SIGTERM");
        Matcher started = ONE_TASK_STARTING.matcher(err.toString());
        assertThat(started.find()).isTrue();
        String task = started.group(1);
        assertThat(host("podman", "ps", "-a", "--filter", "label=io.berth.task-id=" + task, "--format", "{{.Names}}"))
                .as("containers left").isBlank();
        assertThat(host("podman", "volume", "ls", "--filter", "label=io.berth.task-id=" + task, "--format", "{{.Name}}"))
                .as("volumes left").isBlank();
        assertThat(host("podman", "network", "ls", "--format", "{{.Name}}")).isEqualTo(networks);
        assertThat(host("nft", "list", "ruleset")).as("the host's firewall").isEqualTo(firewall);
        assertThat(Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward"))).isEqualTo(forwarding);
    }

    @Test
    void dockerComposePrototype_refusesAStackThatWouldReachPastTheTask_namingTheServiceAndKey() throws Exception {
        Path stackDir = Files.createDirectories(dir.resolve("stack"));
        Files.writeString(stackDir.resolve("docker-compose.yml"), """
                services:
                  root:
                    image: localhost/berth-examples/cache
                    privileged: true
                    volumes: ["/etc:/host-etc"]
                """);
        Path task = dir.resolve("task.yml");
        Files.writeString(task, """
                task: escape
                services:
                - name: stack
                  type: docker-compose
                  params: {files: [stack/docker-compose.yml]}
                  inputs: [stack]
                  ports: [{number: 7001}]
                """);

        int code = berth("run", "--bootstrap", stack.bootstrapServers(), "--task", task.toString(),
                "--input", "stack=" + stackDir, "--", "true");

        assertThat(code).isEqualTo(ExitCodes.SERVICE_FAILED);
        assertThat(err.toString()).contains("service 'root': 'privileged' is refused: it runs the container privileged",
                "service 'root': bind mount of /etc is refused");

        // compose itself reads env_file as root while it merges: it is checked before compose runs
        Files.writeString(stackDir.resolve("docker-compose.yml"), """
                services:
                  reader:
                    image: localhost/berth-examples/cache
                    env_file: /etc/shadow
                """);
        assertThat(berth("run", "--bootstrap", stack.bootstrapServers(), "--task", task.toString(),
                "--input", "stack=" + stackDir, "--", "true")).isEqualTo(ExitCodes.SERVICE_FAILED);
        assertThat(err.toString()).contains("service 'reader': /etc/shadow is refused: files may come only from the "
                + "working directory and the task's inputs");
    }

    @Test
    void dockerComposePrototype_whatItsDownLeaves_isRemovedWhenTheServiceEnds() throws Exception {
        // a container that ignores SIGTERM and may take 5 s to stop: down cannot finish within the 2 s grace
        Path stackDir = Files.createDirectories(dir.resolve("stack"));
        Files.writeString(stackDir.resolve("docker-compose.yml"), """
                services:
                  stubborn:
                    image: localhost/berth-examples/cache
                    entrypoint: [/bin/sh, -c]
                    command: ['trap "" TERM; while :; do sleep 1; done']
                    stop_grace_period: 5s
                """);
        Path task = dir.resolve("task.yml");
        Files.writeString(task, """
                task: stubborn
                services:
                - name: stack
                  type: docker-compose
                  params: {files: [stack/docker-compose.yml]}
                  inputs: [stack]
                  termination_grace_seconds: 2
                """);
        // the task's command waits until the container runs, so down has something to stop
        String cmd = "n=0; until podman ps --filter label=io.berth.service=stack --format '{{.Names}}' | grep -q stubborn;"
                + " do n=$((n+1)); [ $n -lt 300 ] || exit 3; sleep 0.1; done";

        int code = berth("run", "--bootstrap", stack.bootstrapServers(), "--task", task.toString(),
                "--input", "stack=" + stackDir, "--", "sh", "-c", cmd);

        assertThat(code).as(err.toString()).isZero();
        Matcher started = ONE_TASK_STARTING.matcher(err.toString());
        assertThat(started.find()).isTrue();
        assertThat(host("podman", "ps", "-a", "--filter", "label=io.berth.task-id=" + started.group(1), "--format",
                "{{.Names}} {{.State}}")).as("containers left").isBlank();
    }

    /** A command's output on the host; fails the test if it fails. */
    private static String host(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", argv) + ": " + output).isZero();
        return output;
    }

    /** The task id each combination ran as, from its "starting" line. */
    private static Map<String, String> tasksByCombination(String output) {
        Map<String, String> tasks = new LinkedHashMap<>();
        Matcher m = TASK_STARTING.matcher(output);
        while (m.find()) {
            tasks.put(m.group(1), m.group(2));
        }
        return tasks;
    }

    private static int mostAtOnce(List<OffsetDateTime[]> spans) {
        int most = 0;
        for (OffsetDateTime[] span : spans) {
            // the count is highest at some span's start
            int atOnce = (int) spans.stream().filter(s -> !s[0].isAfter(span[0]) && s[1].isAfter(span[0])).count();
            most = Math.max(most, atOnce);
        }
        return most;
    }
}
