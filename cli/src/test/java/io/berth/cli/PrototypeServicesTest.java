package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.agent.AgentSettings;
import io.berth.events.Envelope;
import io.berth.events.EventTypes;
import io.berth.events.SvcVars;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskStarted;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Prototype-based services ({@code type:}) end to end: embedded Kafka, the orchestrator and an agent whose
 * prototype directories are a test one and the repository's examples/prototypes, real processes in real
 * network namespaces; and {@code bin/berth run} with the prototypes Berth ships.
 */
class PrototypeServicesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** A prototype written for this test: answers "GREETING NAME" on params.port, GREETING from its input. */
    private static final String GREETER_UP = """
            #!/usr/bin/perl
            use JSON::PP;
            use IO::Socket::INET;
            my $request = decode_json(do { local $/; <STDIN> });
            my $params = $request->{object};
            open my $in, '<', 'words/greeting.txt' or die "no input: $!";
            chomp(my $greeting = <$in>);
            $| = 1;
            print "greeter: $greeting $params->{name} on $params->{port}\\n";
            my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$params->{port}", Listen => 5, ReuseAddr => 1)
                or die "listen: $!";
            while (my $c = $s->accept) { print $c "$greeting $params->{name}\\n"; close $c }
            """;
    private static final String GREETER_INFO = """
            #!/usr/bin/perl
            use JSON::PP;
            my $request = decode_json(do { local $/; <STDIN> });
            open my $out, '>', $request->{response_path} or die $!;
            print $out encode_json({interface_version => '1.0', messages => ['up']});
            """;

    private static Path prototypes;
    private static Path words;
    private static EmbeddedStack stack;
    private static TaskClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void startStack() throws IOException {
        // world-readable: prototypes and inputs are used by the unprivileged service user
        var open = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"));
        prototypes = Files.createTempDirectory(Processes.outsideTmp(), "berth-prototypes", open);
        Path greeter = Files.createDirectory(prototypes.resolve("greeter"), open);
        Files.writeString(Files.createFile(greeter.resolve("info"), open), GREETER_INFO);
        Files.writeString(Files.createFile(greeter.resolve("up"), open), GREETER_UP);
        words = Files.createTempDirectory("berth-words", open); // an input: bound in from the host's /tmp
        Files.writeString(words.resolve("greeting.txt"), "hello\n");
        Files.setPosixFilePermissions(words.resolve("greeting.txt"), PosixFilePermissions.fromString("rw-r--r--"));

        String before = System.getProperty(AgentSettings.PROTOTYPE_PATH_PROPERTY);
        System.setProperty(AgentSettings.PROTOTYPE_PATH_PROPERTY, prototypes + ":examples/prototypes");
        try {
            stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "prototype-worker"), null);
        } finally {
            if (before == null) {
                System.clearProperty(AgentSettings.PROTOTYPE_PATH_PROPERTY);
            } else {
                System.setProperty(AgentSettings.PROTOTYPE_PATH_PROPERTY, before);
            }
        }
        client = new TaskClient(stack.bootstrapServers());
    }

    @AfterAll
    static void stopStack() throws IOException {
        try {
            if (client != null) {
                client.close();
            }
            if (stack != null) {
                TestStacks.close(stack);
            }
        } finally {
            for (Path p : new Path[] {prototypes, words}) {
                if (p != null) {
                    try (Stream<Path> walk = Files.walk(p)) {
                        for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(f);
                        }
                    }
                }
            }
        }
    }

    @Test
    void up_getsItsParamsOnStdin_andItsInputsInItsDirectory_becomesReady_andIsReachedThroughItsSvcAddress()
            throws Exception {
        String task = TaskDriver.newTaskId();
        start(task, "greet", """
                type: greeter
                run: up
                params: {name: berth, port: 7400}
                inputs: [words]
                ports: [{number: 7400}]
                termination_grace_seconds: 2
                """, Map.of("words", words.toString()));

        List<Envelope> seen = new ArrayList<>();
        var ready = await(task, EventTypes.TASK_SERVICES_READY, seen).payload(TaskServicesReady.class);
        long pid = seen.stream().filter(e -> e.type().equals(EventTypes.SERVICE_STARTING)).findFirst().orElseThrow()
                .payload(ServiceStarting.class).pid();
        List<ProcessHandle> processes = Processes.serviceProcesses(pid);
        assertThat(processes).as("launcher (the sandbox's init), service").hasSizeGreaterThanOrEqualTo(2);
        String address = SvcVars.interpolate("((.svc:greet.address))", ready.services());
        assertThat(address).isEqualTo("127.0.0.1:7400");
        var answer = Processes.run("nsenter", "--net=" + ready.network().path(), "--", "perl", "-MIO::Socket::INET",
                "-e", "print IO::Socket::INET->new(PeerAddr => '" + address + "')->getline");
        assertThat(answer.output().strip()).isEqualTo("hello berth");

        client.publish(EventTypes.TASK_ENDED, task, new TaskEnded(task, "succeeded"));
        var released = await(task, EventTypes.TASK_SERVICES_RELEASED, seen).payload(TaskServicesReleased.class);
        assertThat(released.services()).singleElement().satisfies(s -> assertThat(s.signal()).isEqualTo("SIGTERM"));
        assertThat(Processes.alive(processes)).isEmpty();
        assertThat(Path.of(ready.network().path())).doesNotExist();
    }

    @Test
    void unknownPrototype_failsTheService_sayingWhereBerthLooked() throws Exception {
        String task = TaskDriver.newTaskId();
        start(task, "web", "type: helm-chart\nports: [{number: 8080}]\n", Map.of());

        var failed = await(task, EventTypes.TASK_SERVICES_FAILED, new ArrayList<>()).payload(TaskServicesFailed.class);

        assertThat(failed.service()).isEqualTo("web");
        assertThat(failed.reason()).isEqualTo("service 'web': unknown prototype 'helm-chart': looked for "
                + prototypes.resolve("helm-chart") + ", "
                + Path.of("examples/prototypes/helm-chart").toAbsolutePath() + ", "
                + AgentSettings.SYSTEM_PROTOTYPE_DIR.resolve("helm-chart")
                + " (this worker's prototype directories; add more with BERTH_PROTOTYPE_PATH)");
        client.publish(EventTypes.TASK_ENDED, task, new TaskEnded(task, "errored"));
        await(task, EventTypes.TASK_SERVICES_RELEASED, new ArrayList<>());
    }

    @Test
    void berthRun_withTheShippedPostgresPrototype() throws Exception {
        Path answer = dir.resolve("answer");
        StringWriter err = new StringWriter();

        int code = berth(err, "run", "--bootstrap", stack.bootstrapServers(),
                "--service", "db=examples/services/postgres-prototype.yml", "--",
                "sh", "-c", "psql 'postgresql://app:secret@((.svc:db.address))/app' -tAc "
                        + "'select current_database(), current_user, current_setting($$max_connections$$)' > " + answer);

        assertThat(code).as(err.toString()).isZero();
        assertThat(Files.readString(answer).strip()).isEqualTo("app|app|20");
        assertThat(err.toString()).contains("db stopped by SIGTERM");
    }

    @Test
    void berthRun_withTheShippedComposePrototype_andItsStackAsAnInput() throws Exception {
        Path answer = dir.resolve("answer");
        StringWriter err = new StringWriter();

        int code = berth(err, "run", "--bootstrap", stack.bootstrapServers(),
                "--input", "stack=examples/stacks/web-and-cache", "--service", "stack=examples/services/compose.yml",
                "--", "sh", "-c", "perl -MHTTP::Tiny -e 'print HTTP::Tiny->new->get(q{http://((.svc:stack.addresses.web))/})"
                        + "->{content}' > " + answer + "; redis-cli -p ((.svc:stack.ports.cache)) ping >> " + answer);

        assertThat(code).as(err.toString()).isZero();
        assertThat(Files.readAllLines(answer)).containsExactly("cache says PONG", "PONG");
        assertThat(err.toString()).contains("stack: ready at 127.0.0.1", "web=8080", "cache=6379", "stack stopped by SIGTERM");
    }

    private static int berth(StringWriter err, String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private static void start(String task, String service, String yaml, Map<String, String> inputs) throws Exception {
        var request = new ServiceRequest(service, null, ServiceConfigs.parseYaml(yaml, service + ".yml"), null, null);
        client.publish(EventTypes.TASK_STARTED, task, new TaskStarted(task, null, null, List.of(request), inputs));
    }

    private static Envelope await(String task, String type, List<Envelope> seen) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Envelope> next = client.next(task, Duration.ofNanos(deadline - System.nanoTime()));
            if (next.isEmpty()) {
                break;
            }
            seen.add(next.get());
            if (next.get().type().equals(type)) {
                return next.get();
            }
        }
        throw new AssertionError("no " + type + " for " + task + "; saw " + seen.stream().map(Envelope::type).toList());
    }
}
