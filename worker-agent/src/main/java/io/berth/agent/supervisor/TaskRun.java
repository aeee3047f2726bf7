package io.berth.agent.supervisor;

import io.berth.agent.journal.TaskJournal;
import io.berth.agent.journal.TaskRecord;
import io.berth.agent.network.TaskNetwork;
import io.berth.agent.network.TaskNetworks;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Signal;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.sandbox.Cgroups;
import io.berth.agent.runtime.ServiceRuntime;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.TaskServicesReleased.ServiceRelease;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * One task's services on this worker. Start: network, then every service launched concurrently (each
 * probes on its own). Stop: stop hooks in order — terminate every service (concurrently), remove their
 * scratch directories, release the network — each of them always runs. Confined to the supervisor's context.
 */
final class TaskRun {
    private static final System.Logger LOG = System.getLogger(TaskRun.class.getName());
    /** How long a stop waits for Kafka to acknowledge its stopped events before it completes all the same. */
    private static final long REPORT_WAIT_SECONDS = 10;

    private final Vertx vertx;
    private final Context context;
    private final TaskJournal journal;
    private final ServiceRuntime runtime;
    private final TaskNetworks networks;
    private final TaskLaunch launch;
    private final List<ServiceRun> services = new ArrayList<>();

    private Future<NetworkSpec> started;
    private Future<List<ServiceRelease>> stopped;
    private TaskNetwork network;
    private boolean stopRequested;
    private volatile TaskRecord record; // written by ordered journal tasks on worker threads

    TaskRun(Vertx vertx, Context context, TaskNetworks networks, ServiceRuntime runtime, TaskJournal journal,
            TaskLaunch launch, String worker, ServiceEvents events) {
        this.vertx = vertx;
        this.context = context;
        this.journal = journal;
        this.runtime = runtime;
        this.networks = networks;
        this.launch = launch;
        launch.services().keySet().forEach(name -> services.add(new ServiceRun(vertx, context, runtime, launch,
                worker, name, new ServiceRun.Journalling() {
                    @Override
                    public Future<Void> launched(ServiceProcess process) {
                        return journalLaunch(name, process);
                    }

                    @Override
                    public Future<Void> ready() {
                        return journal(() -> record = record.withReady(name));
                    }
                }, events)));
    }

    String taskId() {
        return launch.taskId();
    }

    long generation() {
        return launch.generation();
    }

    List<String> serviceNames() {
        return services.stream().map(ServiceRun::name).toList();
    }

    int serviceCount() {
        return services.size();
    }

    /** Each service says its last outcome again (the orchestrator sent the same start again). */
    void reportAgain() {
        if (stopped == null) {
            services.forEach(ServiceRun::reportAgain);
        }
    }

    /** Idempotent: the second call returns the first call's future. {@code before} runs first (a previous generation's stop). */
    Future<NetworkSpec> start(Future<?> before) {
        if (started == null) {
            started = before.transform(ignored -> {
                Future<TaskNetwork> ready = networks.create(launch.taskId(), launch.network())
                        .compose(net -> {
                            network = net;
                            record = new TaskRecord(launch.taskId(), launch.generation(), net.ownedNamespace(),
                                    List.of(), launch.command(), net.reattachable());
                            return journal(() -> record).map(net);
                        })
                        .compose(net -> stopRequested
                                ? Future.failedFuture("task " + launch.taskId() + " was stopped while starting")
                                : Future.succeededFuture(net));
                // each service is set up while the network is made, and launched once it is journalled (a crash
                // before that leaves setups no journal names, which the next agent's reaper removes)
                List<Future<Void>> launched = services.stream().map(s -> s.start(ready)).toList();
                return Future.join(launched).transform(ar -> ready.failed() || ar.succeeded()
                        ? ready.map(TaskNetwork::spec) : Future.failedFuture(ar.cause()));
            });
        }
        return started;
    }

    /**
     * Takes the task over from a crashed agent that journalled it as {@code journalled}: its network as it is, then
     * every service ({@link ServiceRun#reattach}). Instead of {@link #start}; a later start of the same generation
     * returns this.
     */
    Future<NetworkSpec> reattach(TaskRecord journalled) {
        record = journalled;
        List<String> unjournalled = services.stream().map(ServiceRun::name)
                .filter(name -> journalled.service(name) == null).toList();
        started = networks.reattach(launch.taskId(), launch.network())
                // a service launched in the instant before the crash, before it was journalled, was never reported:
                // that copy goes, and the service is launched as if for the first time
                .compose(net -> context.executeBlocking(() -> {
                    for (String name : unjournalled) {
                        Cgroups.forStateDir(journal.stateDir())
                                .anywhere(Cgroups.serviceName(launch.taskId(), launch.generation(), name)).remove();
                    }
                    return net;
                }, false))
                .compose(net -> {
                    network = net;
                    List<Future<Void>> all = services.stream()
                            .map(s -> s.reattach(net, journalled.service(s.name()))).toList();
                    return Future.join(all).map(v -> net.spec());
                });
        return started;
    }

    /** Idempotent; waits for a start in progress, then runs every stop hook. */
    Future<List<ServiceRelease>> stop() {
        if (stopped == null) {
            stopRequested = true;
            Future<?> startDone = started == null ? Future.succeededFuture() : started;
            stopped = startDone.transform(ignored -> release());
        }
        return stopped;
    }

    private Future<List<ServiceRelease>> release() {
        List<ServiceRelease> releases = new ArrayList<>();
        StopHook terminate = StopHook.of("terminate services", () -> {
            List<Future<ServiceRelease>> all = services.stream().map(ServiceRun::terminate).toList();
            return Future.join(all).transform(ar -> {
                List<String> errors = new ArrayList<>();
                for (int i = 0; i < all.size(); i++) {
                    Future<ServiceRelease> f = all.get(i);
                    if (f.succeeded()) {
                        releases.add(f.result());
                    } else {
                        releases.add(new ServiceRelease(services.get(i).name(), Signal.SIGKILL.name(), 0, null));
                        errors.add(f.cause().getMessage());
                    }
                }
                return errors.isEmpty() ? Future.succeededFuture()
                        : Future.failedFuture(String.join("; ", errors));
            });
        });
        StopHook scratch = StopHook.of("remove scratch directories", () -> {
            List<Future<Void>> all = services.stream().map(ServiceRun::cleanup).toList();
            return Future.join(all).transform(ar -> runtime.releaseTask(launch.taskId())
                    .compose(v -> ar.succeeded() ? Future.succeededFuture() : Future.failedFuture(ar.cause())));
        });
        StopHook net = StopHook.of("release network", () -> network == null ? Future.succeededFuture()
                : network.release());
        // once the services are gone, their files and their network go at the same time: neither needs the other
        return StopHooks.runInStages("task " + launch.taskId(), List.of(List.of(terminate), List.of(scratch, net)))
                .compose(errors -> {
                    // Only now — processes, scratch directories and network all gone — is each service stopped.
                    List<Future<Void>> reported = new ArrayList<>();
                    for (ServiceRelease release : releases) {
                        reported.add(serviceNamed(release.name()).reportStopped(release));
                    }
                    if (!errors.isEmpty()) {
                        // keep the journal entry: the next agent start reaps what could not be released now
                        return Future.failedFuture(new TaskStopException(launch.taskId(), errors, releases));
                    }
                    return forgetOnceReported(context, journal, launch.taskId(), reported)
                            .map(v -> List.copyOf(releases));
                });
    }

    private ServiceRun serviceNamed(String name) {
        return services.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    private Future<Void> journalLaunch(String service, ServiceProcess p) {
        long pid = p.launched().pid();
        return journal(() -> record = record.withService(
                new TaskRecord.ServiceRecord(service, pid, ProcessTable.startTicks(pid))));
    }

    /**
     * Writes the record {@code next} computes (on a worker, in order), or removes the task's entry
     * when {@code next} is null. Journal trouble is logged, never fails the task.
     */
    private Future<Void> journal(java.util.function.Supplier<TaskRecord> next) {
        return context.<Void>executeBlocking(() -> {
            if (next == null) {
                journal.remove(launch.taskId());
            } else {
                TaskRecord r = next.get();
                if (r != null) {
                    journal.write(r);
                }
            }
            return null;
        }, true).recover(e -> {
            LOG.log(Level.WARNING, "task {0}: cannot update the journal: {1}", launch.taskId(), e.getMessage());
            return Future.succeededFuture();
        });
    }

    /**
     * Removes the task's journal entry once {@code reports} are durable (Kafka acknowledged them): an agent killed
     * before then finds the task and reports again. Without an answer within {@value #REPORT_WAIT_SECONDS} s the entry
     * stays for the next agent, and the future completes all the same. Completes on {@code context} (an
     * acknowledgement arrives on the producer's thread); never fails.
     */
    static Future<Void> forgetOnceReported(Context context, TaskJournal journal, String taskId,
                                           List<Future<Void>> reports) {
        io.vertx.core.Promise<Void> reported = io.vertx.core.Promise.promise();
        Future.join(reports).timeout(REPORT_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)
                .onComplete(ar -> context.runOnContext(v -> reported.handle(ar.mapEmpty())));
        return reported.future().compose(v -> context.<Void>executeBlocking(() -> {
            journal.remove(taskId);
            return null;
        }, true)).otherwise(e -> {
            LOG.log(Level.WARNING, "task {0}: kept in the journal: {1}", taskId, e.getMessage());
            return null;
        });
    }
}
