package io.berth.agent.supervisor;

import io.berth.agent.journal.TaskRecord;
import io.berth.agent.network.ServiceNetwork;
import io.berth.agent.network.TaskNetwork;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Signal;
import io.berth.agent.probe.Probe;
import io.berth.agent.probe.ProbeRunner;
import io.berth.agent.probe.Probes;
import io.berth.agent.runtime.ServiceLaunch;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.runtime.ServiceRuntime;
import io.berth.events.config.ProbeSpec;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.TaskServicesReleased.ServiceRelease;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;

/**
 * One service of a task, through its phases: launch → probe → ready (→ exited) → terminate → clean up. What it
 * says about the service on the way goes through its {@link ServiceReports}. Confined to the supervisor's context.
 */
final class ServiceRun {
    private static final System.Logger LOG = System.getLogger(ServiceRun.class.getName());

    enum State { PENDING, STARTING, READY, FAILED, EXITED, STOPPING, STOPPED }

    private final Vertx vertx;
    private final Context context;
    private final ServiceRuntime runtime;
    private final String taskId;
    private final long generation;
    private final String name;
    private final ServiceConfig config;
    private final Map<String, String> inputs;
    private final ServiceReports reports;
    private final Journalling journalling;

    private State state = State.PENDING;
    private boolean stopRequested;
    private ServiceProcess process;
    private String host; // the address the task reaches this service on
    private ProbeRunner runner;
    private Future<ProbeRunner.Readiness> probed;
    private Future<ServiceRelease> termination;

    ServiceRun(Vertx vertx, Context context, ServiceRuntime runtime, TaskLaunch task, String worker, String name,
               Journalling journalling, ServiceEvents events) {
        this.vertx = vertx;
        this.context = context;
        this.runtime = runtime;
        this.taskId = task.taskId();
        this.generation = task.generation();
        this.name = name;
        this.config = task.services().get(name);
        this.inputs = task.inputs();
        this.reports = new ServiceReports(context, events, taskId, name, worker, generation);
        this.journalling = journalling;
    }

    /** Records what a restarted agent needs to re-attach to the service; each completes once it is written. */
    interface Journalling {
        Future<Void> launched(ServiceProcess process);

        Future<Void> ready();
    }

    String name() {
        return name;
    }

    State state() {
        return state;
    }

    ServiceProcess process() {
        return process;
    }

    /** The startup probe's outcome, before it is reported; null until the probe starts. On the context. */
    Future<ProbeRunner.Readiness> probed() {
        return probed;
    }

    /**
     * Launches the service once {@code network} (the task's, journalled) is ready; its runtime sets it up meanwhile.
     * Completes once it runs or could not be launched (then it reported {@code failed}); fails, with nothing
     * launched or reported, when {@code network} fails: that is the task's failure, not the service's.
     */
    Future<Void> start(Future<TaskNetwork> network) {
        if (stopRequested) {
            return Future.succeededFuture();
        }
        state = State.STARTING;
        Future<ServiceNetwork> attached = network.compose(net -> net.attach(name, config.ports()));
        Future<ServiceProcess> started = runtime.start(new ServiceLaunch(taskId, generation, name, config, inputs,
                null), attached.map(ServiceNetwork::path));
        return Future.join(network, started).transform(ignored -> {
            if (network.failed()) { // the runtime launched nothing and removed what it had set up
                state = State.PENDING;
                return network.mapEmpty();
            }
            if (started.failed()) {
                state = State.FAILED;
                reports.failed(reason(started.cause()));
                return Future.succeededFuture();
            }
            host = attached.result().host();
            ServiceProcess p = started.result();
            process = p;
            // journalled before it is reported (and before the start is acknowledged): a restarted agent
            // finds every service it was told about; probed meanwhile, its outcome reported after `starting`
            Future<Void> reported = journalling.launched(p).onComplete(v -> launched(p));
            if (!stopRequested) {
                probe(p, network.result(), p.launched().startedAtNanos(), p.launched().startedAtMillis(), reported);
            }
            return reported;
        });
    }

    /**
     * Takes over the service a crashed agent launched and journalled as {@code record} (null: not journalled, so
     * never reported: it is launched now, as by {@link #start}; the caller removed any copy of it first). A
     * service that was ready stays ready, its exit watched from now on; one that was starting is probed again from
     * now on; one that is gone is reported like any other: {@code exited} if it had been ready, {@code failed} if
     * not. Completes once that is decided.
     */
    Future<Void> reattach(TaskNetwork network, TaskRecord.ServiceRecord record) {
        if (record == null) {
            return start(Future.succeededFuture(network)); // never journalled, so never reported: launched now
        }
        state = State.STARTING;
        host = network.host();
        var launch = new ServiceLaunch(taskId, generation, name, config, inputs, network.path());
        return runtime.reattach(launch, record.pid(), record.startTicks()).transform(ar -> {
            if (ar.failed()) {
                // whatever still runs of it has no owner now: it goes (the others of the task keep running)
                state = State.FAILED;
                // its launcher: the service's sandbox dies with it
                return context.executeBlocking(() -> ProcessHandle.of(record.pid())
                        .filter(h -> ProcessTable.isRunning(record.pid(), record.startTicks()))
                        .map(ProcessHandle::destroyForcibly).orElse(false), false).transform(killed -> {
                            reports.failed(reason(ar.cause()));
                            return Future.<Void>succeededFuture();
                        });
            }
            ServiceProcess p = ar.result();
            process = p;
            if (record.ready()) {
                state = State.READY;
                if (p.isAlive()) {
                    // said again: the dead agent may have been killed before its ready reached Kafka
                    reports.ready(network.spec(), host, config.ports(), p.launched().startedAtMillis(), null,
                            System.currentTimeMillis());
                }
                p.exit().onSuccess(this::exitedByItself);
            } else if (!p.isAlive()) {
                state = State.FAILED;
                reports.failed("service '" + name + "' exited before it was ready, while the worker agent restarted",
                        p);
            } else {
                p.exit().onSuccess(this::exitedByItself);
                probe(p, network, System.nanoTime(), System.currentTimeMillis(), Future.succeededFuture());
            }
            return Future.succeededFuture();
        });
    }

    private void launched(ServiceProcess p) {
        reports.starting(p.launched().pid());
        p.exit().onSuccess(this::exitedByItself);
    }

    /**
     * Runs the startup probe, counted from {@code fromNanos}; then ready (journalled first) or failed, each reported
     * once {@code reported} (the service's {@code starting}) is done. The probe does not wait for that: the journal
     * write is a worker's turn, and a service that listens at once would be seen that much later.
     */
    private void probe(ServiceProcess p, TaskNetwork network, long fromNanos, long fromMillis, Future<?> reported) {
        ProbeSpec spec = config.startupProbe();
        Probe portProbe = config.ports().isEmpty() ? null : Probes.forPorts(p, config.ports());
        Probe probe = Probes.startupProbe(config, p);
        if (spec.run() == null && portProbe != null) {
            probe = portProbe; // the same probe is the readiness check and the port watch
        }
        ProbeRunner.Listener attempts = reports.probes(); // a counted failure, too, is said after `starting`
        runner = new ProbeRunner(vertx, name, probe, spec, fromNanos, fromMillis, portProbe,
                (attempt, result) -> reported.onComplete(x -> attempts.attempt(attempt, result)));
        probed = runner.run(p.exit());
        probed.onComplete(ar -> reported.onComplete(x -> {
            if (state != State.STARTING) {
                return; // stopping: the probe was cancelled
            }
            if (ar.succeeded()) {
                state = State.READY;
                ProbeRunner.Readiness ready = ar.result();
                journalling.ready().onComplete(v -> reports.ready(network.spec(), host, config.ports(),
                        p.launched().startedAtMillis(), ready.portOpenAtMillis(), ready.readyAtMillis()));
            } else {
                state = State.FAILED;
                reports.failed(ar.cause().getMessage(), p);
                if (p.isAlive()) {
                    terminate(); // a service that will never be used must not keep running until the task ends
                }
            }
        }));
    }

    private void exitedByItself(int code) {
        if (state != State.READY) {
            return; // before ready the probe runner reports it; while stopping it is expected
        }
        state = State.EXITED;
        reports.exited(code, process);
    }

    /**
     * SIGTERM → grace → SIGKILL; idempotent; never fails (errors end up in the result's log). Reporting
     * it is the task's job ({@link #reportStopped}), once the task's network is gone too, so that a
     * released task really has nothing left.
     */
    Future<ServiceRelease> terminate() {
        if (termination != null) {
            return termination;
        }
        stopRequested = true;
        if (runner != null) {
            runner.stop();
        }
        if (process == null) {
            state = State.STOPPED;
            termination = Future.succeededFuture(new ServiceRelease(name, Signal.NONE, 0, null));
            return termination;
        }
        if (state == State.STARTING || state == State.READY) {
            state = State.STOPPING;
        }
        Duration grace = Duration.ofNanos(Math.round(config.terminationGraceSeconds() * 1e9));
        termination = Termination.terminate(vertx, name, process, grace).map(r -> {
            if (state == State.STOPPING) {
                state = State.STOPPED;
            }
            return new ServiceRelease(name, r.reportedSignal(), r.durationMillis(), r.exitCode());
        });
        return termination;
    }

    /**
     * Says the last outcome again (while the service is not being stopped): the orchestrator sent the start again,
     * so it may not have heard it (its new owner restored the task from an older state, or the event was lost).
     */
    void reportAgain() {
        if (state != State.STOPPING && state != State.STOPPED) {
            reports.outcomeAgain();
        }
    }

    /** Completes once the report is durable. */
    Future<Void> reportStopped(ServiceRelease release) {
        return reports.stopped(release);
    }

    /** Removes the service's scratch directory; idempotent. */
    Future<Void> cleanup() {
        return process == null ? Future.succeededFuture() : process.cleanup();
    }

    private String reason(Throwable e) {
        String msg = e.getMessage();
        if (msg == null) {
            LOG.log(Level.WARNING, "service " + name + " could not be launched", e);
            return "service '" + name + "' could not be launched: " + e;
        }
        return msg.contains("'" + name + "'") ? msg : "service '" + name + "': " + msg;
    }
}
