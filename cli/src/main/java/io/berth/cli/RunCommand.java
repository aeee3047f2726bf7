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
import io.berth.events.config.InvalidConfigException;
import io.berth.events.payload.TaskServicesDegraded;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskStarted;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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
            "Without --bootstrap, runs the whole stack in-process (embedded Kafka, orchestrator, one agent).",
            "Ctrl-C (SIGINT), SIGTERM or SIGHUP end the task as a normal end does: CMD gets the signal, the "
                + "services are released and reported, then berth exits 128 + the signal's number; a second "
                + "signal kills CMD at once (the services are still released)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"n:CMD's exit code", "1:invalid task (a variable that cannot resolve, a bad config)",
            "3:a service failed; CMD did not run", "4:Berth failed (timeout, broker unreachable, ...)",
            "5:a service exited while CMD ran and the task says on_service_exit: fail",
            "130/143/129:stopped by SIGINT (Ctrl-C) / SIGTERM / SIGHUP, after the services were released"})
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

    @Option(names = "--network", description = "Network mode: namespace (default), bridge, host.")
    String network;

    @Option(names = "--lease", paramLabel = "SECONDS", defaultValue = "30",
            description = "The task's lease, renewed every third of it while this run lives: should the run die "
                    + "without ending its task (SIGKILL, machine lost), the services are released once it runs out "
                    + "(0: no lease; default ${DEFAULT-VALUE}).")
    int leaseSeconds;

    @Option(names = "--on-service-exit", paramLabel = "fail|ignore",
            description = "A service that exits on its own while CMD runs: fail stops CMD and exits 5; ignore "
                    + "(default, unless the task file says on_service_exit: fail) only reports it.")
    String onServiceExit;

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
        // the signal handlers are the process's: a command run inside another program's JVM leaves them alone
        RunSignals signals = Main.standalone ? RunSignals.install() : RunSignals.none();
        PrintWriter err = spec.commandLine().getErr();
        TaskFiles.LoadedMatrix matrix;
        try {
            matrix = TaskFiles.loadMatrix(taskFile, services);
        } catch (InvalidConfigException e) {
            err.println(e.getMessage());
            return ExitCodes.INVALID;
        }
        TaskFiles.LoadedTask task = matrix.runs().get(0).task();
        if (matrix.runs().stream().anyMatch(run -> run.task().services().isEmpty())) {
            throw new IllegalArgumentException("no services: give --task with 'services:' or --service NAME=FILE");
        }
        List<String> unresolvable = unresolvable(task.references());
        if (!unresolvable.isEmpty()) {
            unresolvable.forEach(problem -> err.println("berth: " + problem));
            return ExitCodes.INVALID;
        }
        if (onServiceExit != null && !List.of("fail", "ignore").contains(onServiceExit)) {
            throw new IllegalArgumentException("--on-service-exit expects fail or ignore, got '" + onServiceExit + "'");
        }
        boolean failOnServiceExit = onServiceExit == null ? task.failOnServiceExit() : onServiceExit.equals("fail");
        if (!verbose) {
            // The in-process orchestrator and agent log for operators; a run shows its own progress.
            org.apache.logging.log4j.core.config.Configurator.setLevel("io.berth", org.apache.logging.log4j.Level.WARN);
        }
        boolean clean = false;
        Optional<Path> stateDir = Optional.empty();
        RunWatchdog watchdog = null;
        try (Stack stack = bootstrap == null ? Stack.embedded(quiet ? null : err) : Stack.remote(bootstrap);
             TaskClient client = new TaskClient(stack.bootstrapServers())) {
            stateDir = stack.agentStateDir();
            stateDir.ifPresent(RunStateDirs::removeDeadRuns);
            if (stateDir.isPresent() && Main.standalone) {
                // the agent is in this JVM: should the JVM be killed, its services must not stay behind
                try {
                    watchdog = RunWatchdog.start(stateDir.get(), stack.temporaryDir().orElse(null));
                } catch (java.io.IOException e) {
                    err.println("berth: warning: no watchdog (" + e.getMessage() + "): should this run be killed, "
                            + "its services stay until the next run reaps them");
                }
            }
            if (signals.received()) {
                err.printf("berth: stopped by SIG%s before the task started%n", signals.name());
                clean = true;
                return signals.exitCode();
            }
            if (matrix.isMatrix()) {
                PrintWriter out = spec.commandLine().getOut();
                MatrixRun across = new MatrixRun(matrix.matrix(), matrix.runs(), (run, abort) -> {
                    if (signals.received()) {
                        return new MatrixRun.Outcome(signals.exitCode(), null, null, true);
                    }
                    // a Kafka client is one thread's: each combination has its own
                    try (TaskClient own = new TaskClient(stack.bootstrapServers())) {
                        TaskRun taskRun = new TaskRun(own, run.task(), err, signals, failOnServiceExit, run.label(),
                                out, abort);
                        int exit = taskRun.run();
                        return new MatrixRun.Outcome(exit, taskRun.readyMillis, taskRun.releasedBy, taskRun.released);
                    }
                }, err, quiet);
                int exit = across.run();
                clean = across.allReleased();
                return signals.received() ? signals.exitCode() : exit;
            }
            TaskRun run = new TaskRun(client, task, err, signals, failOnServiceExit);
            try {
                return run.run();
            } finally {
                clean = run.released;
            }
        } finally {
            if (watchdog != null) {
                watchdog.close(); // the agent was stopped, with every service: nothing for it to reap
            }
            if (clean) {
                // the agent is stopped and every service released: its logs and scratch space go with the run
                stateDir.ifPresent(RunStateDirs::remove);
            }
        }
    }

    /** The {@code .svc} variables of --env values and of CMD that no declared service or port can satisfy. */
    private List<String> unresolvable(TaskReferences references) {
        List<String> problems = new ArrayList<>();
        env.forEach((k, v) -> references.svcProblems(v).forEach(p -> problems.add("--env " + k + ": " + p)));
        for (int i = 0; i < command.size(); i++) {
            for (String p : references.svcProblems(command.get(i))) {
                problems.add((i == 0 ? "CMD" : "CMD argument " + i) + ": " + p);
            }
        }
        return problems;
    }

    /** One task's run, from task.started to released. */
    private final class TaskRun {
        private final TaskClient client;
        private final TaskFiles.LoadedTask task;
        private final PrintWriter err;
        private final RunSignals signals;
        private final boolean failOnServiceExit;
        private final String taskId = "run-" + UUID.randomUUID();
        private final long startedAt = System.nanoTime();
        /** True once the services were reported released. */
        boolean released;
        /** The first service that exited on its own while CMD ran, when that fails the step. */
        private String exitedService;
        /** One combination of a matrix: its label prefixes every line, and CMD's output goes to {@code out}. */
        private final String label;
        private final PrintWriter out;
        private final MatrixRun.Abort abort;
        /** For a matrix's summary: start to ready, and how the services were stopped. */
        volatile Long readyMillis;
        volatile String releasedBy;

        TaskRun(TaskClient client, TaskFiles.LoadedTask task, PrintWriter err, RunSignals signals,
                boolean failOnServiceExit) {
            this(client, task, err, signals, failOnServiceExit, null, null, null);
        }

        TaskRun(TaskClient client, TaskFiles.LoadedTask task, PrintWriter err, RunSignals signals,
                boolean failOnServiceExit, String label, PrintWriter out, MatrixRun.Abort abort) {
            this.client = client;
            this.task = task;
            this.err = err;
            this.signals = signals;
            this.failOnServiceExit = failOnServiceExit;
            this.label = label;
            this.out = out;
            this.abort = abort;
        }

        /**
         * Every way out of here — CMD's end, a failed service, a signal, a variable that does not resolve, a
         * timeout — ends the task (task.ended, then the release is awaited and reported).
         */
        int run() throws Exception {
            var networkSpec = network == null ? null : new io.berth.events.payload.NetworkSpec(network, null);
            client.publish(EventTypes.TASK_STARTED, taskId, new TaskStarted(taskId, worker, networkSpec,
                    task.services(), artifacts(), leaseSeconds > 0 ? leaseSeconds : null));
            say("task %s: starting %s", taskId, serviceNames());
            String outcome = "errored";
            int exit = ExitCodes.BERTH_ERROR;
            try (LeaseKeeper lease = LeaseKeeper.start(client, taskId, leaseSeconds, err)) {
                try {
                    Envelope first = awaitOne(true, EventTypes.TASK_SERVICES_READY, EventTypes.TASK_SERVICES_FAILED);
                    if (first == null) {
                        outcome = "cancelled";
                    } else if (first.type().equals(EventTypes.TASK_SERVICES_FAILED)) {
                        reportFailure(first.payload(TaskServicesFailed.class));
                        exit = ExitCodes.SERVICE_FAILED;
                    } else if (abort != null && abort.fired()) {
                        outcome = "cancelled"; // fail_fast: another combination failed meanwhile
                        exit = 128 + 15;
                    } else {
                        readyMillis = (System.nanoTime() - startedAt) / 1_000_000;
                        say("task %s: services ready in %d ms", taskId, readyMillis);
                        exit = runCommand(first.payload(TaskServicesReady.class));
                        outcome = signals.received() ? "cancelled" : exitedService != null ? "failed"
                                : exit == 0 ? "succeeded" : "failed";
                    }
                } finally {
                    end(outcome);
                }
            }
            if (signals.received()) {
                err.printf("berth: stopped by SIG%s%s%n", signals.name(),
                        released ? "; every service was released" : "");
                err.flush();
                return signals.exitCode();
            }
            return exitedService != null ? ExitCodes.SERVICE_EXITED : exit;
        }

        private List<String> serviceNames() {
            return task.services().stream().map(ServiceRequest::name).toList();
        }

        private void reportFailure(TaskServicesFailed failed) {
            err.println(prefix() + "berth: " + (failed.service() != null ? "service " + failed.service()
                    : "services " + String.join(", ", serviceNames())) + " failed: " + failed.reason());
            logTail(failed.service(), failed.logTail());
            err.flush();
        }

        /** The --input directories, as the absolute paths the worker (this machine) knows them by. */
        private Map<String, String> artifacts() {
            Map<String, String> artifacts = new LinkedHashMap<>();
            inputs.forEach((name, dir) -> artifacts.put(name, dir.toAbsolutePath().normalize().toString()));
            return artifacts;
        }

        /**
         * Runs CMD and waits for it while showing what happens to the services meanwhile. A signal is passed on to
         * CMD (it usually got it already, from the terminal's process group); a second one kills it; so does a
         * service's exit when the task says so (after SIGTERM and a grace of {@value #COMMAND_GRACE_MILLIS} ms).
         */
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
            if (label != null) { // a matrix's combinations run side by side: their output is told apart by prefix
                builder.redirectOutput(ProcessBuilder.Redirect.PIPE).redirectErrorStream(true);
            }
            Process child = builder.start();
            Thread copier = label == null ? null : MatrixRun.copyLines(child.getInputStream(), prefix(), out);
            boolean signalled = false;
            boolean killed = false;
            long stopAskedAt = 0;
            while (!child.waitFor(0, TimeUnit.MILLISECONDS)) {
                client.next(taskId, Duration.ofMillis(50)).ifPresent(event -> {
                    progress(event);
                    if (event.type().equals(EventTypes.TASK_SERVICES_FAILED)) {
                        // after ready only the lease, the maximum lifetime or a lost worker do this: say so now
                        var failed = event.payload(TaskServicesFailed.class);
                        err.printf("berth: the task's services are being released while CMD runs: %s%n",
                                failed.reason());
                        err.flush();
                    }
                });
                if (signals.received() && !signalled) {
                    signalled = true;
                    stopAskedAt = System.nanoTime();
                    signal(child, signals.name());
                }
                if ((exitedService != null || abort != null && abort.fired()) && stopAskedAt == 0) {
                    stopAskedAt = System.nanoTime();
                    child.destroy();
                }
                boolean graceOver = stopAskedAt != 0
                        && System.nanoTime() - stopAskedAt > TimeUnit.MILLISECONDS.toNanos(COMMAND_GRACE_MILLIS);
                if (!killed && (signals.hurried() || graceOver)) {
                    killed = true;
                    child.destroyForcibly();
                }
            }
            if (copier != null) {
                copier.join();
            }
            return child.exitValue();
        }

        private static final long COMMAND_GRACE_MILLIS = 10_000;

        private void signal(Process child, String name) {
            try {
                new ProcessBuilder("kill", "-s", name, String.valueOf(child.pid())).inheritIO().start()
                        .waitFor(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                child.destroy();
            }
        }

        private boolean ended;

        /** Publishes task.ended once and reports the release; never throws (it runs on every way out). */
        private synchronized void end(String outcome) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                client.publish(EventTypes.TASK_ENDED, taskId, new TaskEnded(taskId, outcome));
                Envelope release = awaitOne(false, EventTypes.TASK_SERVICES_RELEASED);
                releasedBy = MatrixRun.releasedBy(release.payload(TaskServicesReleased.class));
                for (var service : release.payload(TaskServicesReleased.class).services()) {
                    if (service.exitedAtMillis() != null) {
                        say("task %s: %s had exited on its own at %s (exit %s) while the task ran", taskId,
                                service.name(), Instant.ofEpochMilli(service.exitedAtMillis()), service.exitCode());
                    } else {
                        say("task %s: %s stopped by %s in %d ms%s", taskId, service.name(), service.signal(),
                                service.durationMillis(),
                                service.exitCode() == null ? "" : " (exit " + service.exitCode() + ")");
                    }
                }
                released = true;
            } catch (Exception e) {
                err.println(prefix() + "berth: could not release the services of " + taskId + ": " + e.getMessage());
                err.flush();
            }
        }

        /**
         * The first event of one of {@code types} about the task, showing progress meanwhile; null when a signal
         * came first and {@code interruptible}.
         */
        private Envelope awaitOne(boolean interruptible, String... types) {
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
            while (System.nanoTime() < deadline) {
                if (interruptible && signals.received()) {
                    return null;
                }
                long left = deadline - System.nanoTime();
                Optional<Envelope> next = client.next(taskId, Duration.ofNanos(Math.min(left, 100_000_000)));
                if (next.isEmpty()) {
                    continue;
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
                    if (!p.succeeded()) {
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
                case EventTypes.TASK_SERVICES_DEGRADED -> serviceExited(event.payload(TaskServicesDegraded.class));
                default -> { }
            }
        }

        /** A ready service exited while the task ran: said at once, whatever --quiet says; it may fail the step. */
        private void serviceExited(TaskServicesDegraded exited) {
            err.println(prefix() + "berth: " + exited.service() + " exited with code " + exited.exitCode()
                    + " while the task ran");
            logTail(exited.service(), exited.logTail());
            if (failOnServiceExit && exitedService == null) {
                exitedService = exited.service();
                err.println(prefix() + "berth: on_service_exit is fail: stopping CMD");
            }
            err.flush();
        }

        private void logTail(String service, List<String> tail) {
            if (!tail.isEmpty()) {
                err.println(prefix() + "--- last lines of " + service + "'s log ---");
                tail.forEach(line -> err.println(prefix() + line));
                err.println(prefix() + "---");
            }
        }

        /** {@code [web_version=2] } in a matrix, else nothing. */
        private String prefix() {
            return label == null ? "" : "[" + label + "] ";
        }

        private void say(String format, Object... args) {
            if (!quiet) {
                err.println(prefix() + "berth: " + String.format(format, args));
                err.flush();
            }
        }
    }
}
