package io.berth.cli;

import io.berth.events.Envelope;
import io.berth.events.EventTypes;
import io.berth.events.SvcVars;
import io.berth.events.config.ServiceRequest;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.SvcVariables;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskStarted;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Acts as a CI platform for one task: services up, command in their network, services down. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {
            "Run CMD as a task with services: publish task.started, show each service's progress, run CMD "
                + "inside the task's network namespace once every service is ready, publish task.ended when "
                + "CMD exits, wait for the services to be released and exit with CMD's exit code.",
            "((.svc:NAME.address)), .host, .port, .addresses.PORT and .ports.PORT are interpolated in the "
                + "task's params, in --env values and in CMD and its arguments.",
            "Without --bootstrap, runs the whole stack in-process (embedded Kafka, orchestrator, one agent)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"n:CMD's exit code", "3:a service failed; CMD did not run",
            "4:Berth failed (timeout, broker unreachable, ...)"})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--task", paramLabel = "TASK.yml",
            description = "Task step with 'params:' and 'services:' (as in the services proposal).")
    Path taskFile;

    @Option(names = "--service", paramLabel = "NAME=FILE", description = "Add a service from a service config file.")
    List<String> services = new ArrayList<>();

    @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Extra environment for CMD (may use ((.svc:...))).")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--input", paramLabel = "NAME=DIR",
            description = "A task artifact: services that list NAME in their 'inputs:' find DIR there.")
    Map<String, Path> inputs = new LinkedHashMap<>();

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "Kafka of a running Berth; default: start the embedded stack in-process.")
    String bootstrap;

    @Option(names = "--worker", description = "Worker to run on (default: the orchestrator places the task).")
    String worker;

    @Option(names = "--network", description = "Network mode: namespace (default), host.")
    String network;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "Give up when the services are not ready or released within this time (default ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Option(names = "--quiet", description = "Only print errors.")
    boolean quiet;

    @Option(names = "--verbose", description = "Also show the embedded stack's own log.")
    boolean verbose;

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "The task's command and its arguments (after --).")
    List<String> command;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        TaskFiles.LoadedTask task = TaskFiles.load(taskFile, services);
        if (task.services().isEmpty()) {
            throw new IllegalArgumentException("no services: give --task with 'services:' or --service NAME=FILE");
        }
        if (!verbose) {
            // The in-process orchestrator and agent log for operators; a run shows its own progress.
            org.apache.logging.log4j.core.config.Configurator.setLevel("io.berth", org.apache.logging.log4j.Level.WARN);
        }
        try (Stack stack = bootstrap == null ? Stack.embedded(quiet ? null : err) : Stack.remote(bootstrap);
             TaskClient client = new TaskClient(stack.bootstrapServers())) {
            return new TaskRun(client, task, err).run();
        }
    }

    /** One task's run, from task.started to released. */
    private final class TaskRun {
        private final TaskClient client;
        private final TaskFiles.LoadedTask task;
        private final PrintWriter err;
        private final String taskId = "run-" + UUID.randomUUID();
        private final long startedAt = System.nanoTime();

        TaskRun(TaskClient client, TaskFiles.LoadedTask task, PrintWriter err) {
            this.client = client;
            this.task = task;
            this.err = err;
        }

        int run() throws Exception {
            var networkSpec = network == null ? null : new io.berth.events.payload.NetworkSpec(network, null);
            client.publish(EventTypes.TASK_STARTED, taskId,
                    new TaskStarted(taskId, worker, networkSpec, task.services(), artifacts()));
            say("task %s: starting %s", taskId, task.services().stream().map(ServiceRequest::name).toList());
            Envelope outcome = awaitOne(EventTypes.TASK_SERVICES_READY, EventTypes.TASK_SERVICES_FAILED);
            if (outcome.type().equals(EventTypes.TASK_SERVICES_FAILED)) {
                var failed = outcome.payload(TaskServicesFailed.class);
                err.printf("berth: service %s failed: %s%n", failed.service(), failed.reason());
                if (!failed.logTail().isEmpty()) {
                    err.printf("--- last lines of %s's log ---%n", failed.service());
                    failed.logTail().forEach(err::println);
                    err.println("---");
                }
                end("errored");
                return ExitCodes.SERVICE_FAILED;
            }
            var ready = outcome.payload(TaskServicesReady.class);
            say("task %s: services ready in %d ms", taskId, (System.nanoTime() - startedAt) / 1_000_000);
            int exit;
            Thread abort = new Thread(() -> end("aborted"));
            Runtime.getRuntime().addShutdownHook(abort);
            try {
                exit = runCommand(ready);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(abort);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running and releases the services
                }
            }
            end(exit == 0 ? "succeeded" : "failed");
            return exit;
        }

        /** The --input directories, as the absolute paths the worker (this machine) knows them by. */
        private Map<String, String> artifacts() {
            Map<String, String> artifacts = new LinkedHashMap<>();
            inputs.forEach((name, dir) -> artifacts.put(name, dir.toAbsolutePath().normalize().toString()));
            return artifacts;
        }

        private int runCommand(TaskServicesReady ready) throws Exception {
            Map<String, SvcVariables> vars = ready.services();
            List<String> argv = new ArrayList<>();
            String netns = ready.network() == null ? null : ready.network().path();
            if (netns != null) {
                argv.addAll(List.of("nsenter", "--net=" + netns, "--"));
            }
            for (String arg : command) {
                argv.add(SvcVars.interpolate(arg, vars));
            }
            var builder = new ProcessBuilder(argv).inheritIO();
            task.params().forEach((k, v) -> builder.environment().put(k, SvcVars.interpolate(v, vars)));
            env.forEach((k, v) -> builder.environment().put(k, SvcVars.interpolate(v, vars)));
            return builder.start().waitFor();
        }

        private boolean ended;

        private synchronized void end(String outcome) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                client.publish(EventTypes.TASK_ENDED, taskId, new TaskEnded(taskId, outcome));
                Envelope released = awaitOne(EventTypes.TASK_SERVICES_RELEASED);
                for (var service : released.payload(TaskServicesReleased.class).services()) {
                    say("task %s: %s stopped by %s in %d ms%s", taskId, service.name(), service.signal(),
                            service.durationMillis(), service.exitCode() == null ? "" : " (exit " + service.exitCode() + ")");
                }
            } catch (Exception e) {
                err.println("berth: could not release the services of " + taskId + ": " + e.getMessage());
            }
        }

        private Envelope awaitOne(String... types) {
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
            while (System.nanoTime() < deadline) {
                Optional<Envelope> next = client.next(taskId, Duration.ofNanos(deadline - System.nanoTime()));
                if (next.isEmpty()) {
                    break;
                }
                Envelope event = next.get();
                progress(event);
                if (List.of(types).contains(event.type())) {
                    return event;
                }
            }
            throw new IllegalStateException("no " + String.join(" or ", types) + " for task " + taskId
                    + " within " + timeoutSeconds + " s");
        }

        private void progress(Envelope event) {
            switch (event.type()) {
                case EventTypes.SERVICE_STARTING -> {
                    var s = event.payload(ServiceStarting.class);
                    say("  %s: starting on %s (pid %s)", s.service(), s.worker(), s.pid());
                }
                case EventTypes.SERVICE_PROBE -> {
                    var p = event.payload(ServiceProbe.class);
                    if (!"success".equals(p.result())) {
                        say("  %s: probe %d %s%s", p.service(), p.attempt(), p.result(),
                                p.message() == null ? "" : ": " + p.message());
                    }
                }
                case EventTypes.SERVICE_READY -> {
                    var r = event.payload(ServiceReady.class);
                    say("  %s: ready at %s %s (%d ms after start)", r.service(), r.host(), r.ports(),
                            r.readyAtMillis() - r.startedAtMillis());
                }
                case EventTypes.SERVICE_FAILED -> {
                    var f = event.payload(ServiceFailed.class);
                    say("  %s: failed: %s", f.service(), f.reason());
                }
                default -> { }
            }
        }

        private void say(String format, Object... args) {
            if (!quiet) {
                err.printf("berth: " + format + "%n", args);
                err.flush();
            }
        }
    }
}
