package io.berth.orchestrator;

import io.berth.events.Envelope;
import io.berth.events.EventTypes;
import io.berth.orchestrator.gateway.AgentDirectory;
import io.berth.orchestrator.gateway.AgentListener;
import io.berth.orchestrator.gateway.CommandRejectedException;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.placement.PlacementRequest;
import io.berth.orchestrator.placement.Placer;
import io.berth.orchestrator.publish.EventPublisher;
import io.berth.orchestrator.state.Effect;
import io.berth.orchestrator.state.ServiceState;
import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskInput;
import io.berth.orchestrator.state.TaskPhase;
import io.berth.orchestrator.state.TaskRequest;
import io.berth.orchestrator.state.TaskStateMachine;
import io.berth.protocol.NetworkRequest;
import io.berth.protocol.OrchestratorCommand;
import io.berth.protocol.RunningTask;
import io.berth.protocol.ServiceSpec;
import io.berth.protocol.StartServices;
import io.berth.protocol.StopServices;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives every task's {@link TaskStateMachine} and carries out its effects: placement, commands to agents,
 * events to the CI platform, timers. Lives on the orchestrator's Vert.x context; every method must be
 * called there.
 */
final class TaskCoordinator implements AgentListener {
    private static final Logger LOG = LoggerFactory.getLogger(TaskCoordinator.class);
    /** The {@code task.ended} outcome of a task released through the admin API. */
    static final String FORCE_RELEASED = "force-released";
    /** How long a task an agent runs may stay unknown on an owned partition before its services are stopped. */
    static final long UNKNOWN_TASK_GRACE_MILLIS = 15_000;

    private final Vertx vertx;
    private final Context context;
    private final OrchestratorSettings settings;
    private final Placer placer;
    private final AgentDirectory agents;
    private final EventPublisher publisher;
    private final OrchestratorMetrics metrics;
    private final Map<String, Task> tasks = new LinkedHashMap<>();
    private final Map<String, Long> stopTimers = new HashMap<>();
    private final Map<String, Long> deadlineTimers = new HashMap<>();
    private final TaskLeases leases;
    /** State writes not acknowledged yet: a partition is handed over only once they are. */
    private final java.util.Set<Future<?>> pendingStateWrites = new java.util.HashSet<>();
    private volatile int activeTasks;
    private boolean stopped;
    /** Partitions of the task topics this instance owns (and how many there are): whose tasks it reconciles. */
    private final java.util.Set<Integer> ownedPartitions = new java.util.HashSet<>();
    private int partitionCount;

    TaskCoordinator(Vertx vertx, Context context, OrchestratorSettings settings, Placer placer, AgentDirectory agents,
                    EventPublisher publisher, OrchestratorMetrics metrics) {
        this.vertx = vertx;
        this.context = context;
        this.settings = settings;
        this.placer = placer;
        this.agents = agents;
        this.publisher = publisher;
        this.metrics = metrics;
        this.leases = new TaskLeases(vertx);
    }

    /**
     * Applies one event from Kafka.
     *
     * @return completes when the events it caused were acknowledged by Kafka
     */
    Future<Void> accept(Envelope envelope, TaskInput input) {
        String taskId = envelope.subject();
        Task task = tasks.get(taskId);
        if (input instanceof TaskInput.Heartbeat beat) {
            // not through the state machine: heartbeats change no phase, and their ids must not pile up as dedupe keys
            if (task != null) {
                renewLease(task, beat.heartbeat().leaseSeconds());
            }
            return Future.succeededFuture();
        }
        if (task == null) {
            if (!(input instanceof TaskInput.Started) && !(input instanceof TaskInput.Ended)
                    && !(input instanceof TaskInput.Rejected)) {
                LOG.debug("ignoring {} for unknown task {}", envelope.type(), taskId);
                return Future.succeededFuture();
            }
            task = new Task(taskId);
            tasks.put(taskId, task);
        }
        if (input instanceof TaskInput.Started && task.phase() == TaskPhase.NEW) {
            task.startedAtNanos(System.nanoTime());
            task.acceptedAtMillis(System.currentTimeMillis());
        }
        if (input instanceof TaskInput.Ended && task.endedAtNanos() == 0) {
            task.endedAtNanos(System.nanoTime());
        }
        if (!task.seen(envelope.dedupeKey())) {
            long at = envelope.time() == null ? System.currentTimeMillis() : envelope.time().toInstant().toEpochMilli();
            task.record(new Task.TimelineEntry(at, envelope.type(),
                    input instanceof TaskInput.ServiceEvent e ? e.service() : null, Timeline.describe(input)));
        }
        return apply(task, envelope.dedupeKey(), input);
    }

    /**
     * Ends the task on the operator's behalf, as if {@code task.ended} arrived: its services get the normal
     * SIGTERM → grace → SIGKILL and the CI platform is told they were released. Empty when the task is unknown.
     */
    Optional<Task> forceRelease(String taskId) {
        return forceRelease(taskId, "requested through the admin API");
    }

    /** {@link #forceRelease(String)}, with why (for the task's timeline). */
    Optional<Task> forceRelease(String taskId, String why) {
        Task task = tasks.get(taskId);
        if (task == null) {
            return Optional.empty();
        }
        task.record(new Task.TimelineEntry(System.currentTimeMillis(), "force-release", null, why));
        if (task.endedAtNanos() == 0) {
            task.endedAtNanos(System.nanoTime());
        }
        apply(task, null, new TaskInput.Ended(new io.berth.events.payload.TaskEnded(taskId, FORCE_RELEASED)));
        return Optional.of(task);
    }

    /** Tasks holding services, per worker (for metrics). */
    Map<String, Integer> activeTasksByWorker() {
        Map<String, Integer> out = new HashMap<>();
        for (Task task : tasks.values()) {
            if (task.worker() != null && task.phase().holdsServices()) {
                out.merge(task.worker(), 1, Integer::sum);
            }
        }
        return out;
    }

    Optional<Task> task(String taskId) {
        return Optional.ofNullable(tasks.get(taskId));
    }

    List<Task> tasks() {
        return new ArrayList<>(tasks.values());
    }

    /** Tasks holding or waiting for services; safe to read from any thread. */
    int activeTasks() {
        return activeTasks;
    }

    /** Forgets released (and ended-never-started) tasks not touched for the retention period, state included. */
    void evictOld() {
        long cutoff = System.currentTimeMillis() - settings.taskRetentionMillis();
        List<Task> old = tasks.values().stream().filter(t -> (t.phase() == TaskPhase.RELEASED
                || t.phase() == TaskPhase.ENDED) && t.updatedAtMillis() < cutoff).toList();
        for (Task task : old) {
            tasks.remove(task.taskId());
            cancelDeadline(task.taskId());
            leases.cancel(task.taskId());
            writeState(task.taskId(), null);
        }
    }

    /**
     * Takes over tasks restored from {@code berth.orchestrator-state} (their partitions were just assigned here) and
     * carries on where their previous owner stopped: placement again, StartServices or StopServices again (agents
     * apply each command once per task and generation), stop timeouts and deadlines armed. A task already in
     * memory is newer than its snapshot and kept.
     */
    void restore(java.util.Collection<io.berth.orchestrator.state.TaskSnapshot> snapshots) {
        int restored = 0;
        for (var snapshot : snapshots) {
            if (tasks.containsKey(snapshot.taskId())) {
                continue;
            }
            Task task = snapshot.restore();
            task.record(new Task.TimelineEntry(System.currentTimeMillis(), "restored", null,
                    "from " + io.berth.events.Topics.ORCHESTRATOR_STATE + " in phase " + task.phase()));
            tasks.put(task.taskId(), task);
            restored++;
            switch (task.phase()) {
                case PLACING -> place(task, task.request());
                case STARTING -> sendStart(task, new Effect.SendStart(task.worker(), task.generation(),
                        task.request()));
                case FAILED, STOPPING -> sendStop(task, new Effect.SendStop(task.worker(), task.generation(),
                        task.failure() != null ? "task failed: " + task.failure()
                                : "task ended: " + task.endedOutcome()));
                default -> { }
            }
            armDeadline(task);
            renewLease(task, null);
        }
        recountActive();
        if (restored > 0) {
            LOG.info("restored {} task(s) from {}", restored, io.berth.events.Topics.ORCHESTRATOR_STATE);
        }
    }

    /**
     * Drops the tasks {@code owned} no longer selects (their partitions went to another instance) from memory,
     * once every state write already made is acknowledged, so their next owner restores the latest state.
     */
    Future<Void> forget(java.util.function.Predicate<String> gone) {
        return Future.join(new ArrayList<>(pendingStateWrites)).<Void>mapEmpty().otherwiseEmpty().map(v -> {
            List<Task> leaving = tasks.values().stream().filter(t -> gone.test(t.taskId())).toList();
            for (Task task : leaving) {
                tasks.remove(task.taskId());
                cancelStopTimer(task.taskId());
                cancelDeadline(task.taskId());
                leases.cancel(task.taskId());
                placer.cancel(task.taskId());
                placer.release(task.taskId());
            }
            recountActive();
            if (!leaving.isEmpty()) {
                LOG.info("handed over {} task(s) to the partitions' next owner", leaving.size());
            }
            return null;
        });
    }

    private void recountActive() {
        activeTasks = (int) tasks.values().stream().filter(t -> isActive(t.phase())).count();
    }

    /** Writes the task's snapshot (null: its tombstone); the future completes when Kafka acknowledged it. */
    private Future<?> writeState(String taskId, byte[] snapshot) {
        Future<?> written = Future.fromCompletionStage(publisher.publishState(taskId, snapshot), context);
        pendingStateWrites.add(written);
        written.onComplete((v, e) -> {
            pendingStateWrites.remove(written);
            if (e != null) {
                LOG.warn("task {}: writing its state failed: {}", taskId, e.toString());
            }
        });
        return written;
    }

    private void armDeadline(Task task) {
        long max = settings.maxTaskLifetimeMillis();
        TaskPhase phase = task.phase();
        if (max <= 0 || task.acceptedAtMillis() == 0 || deadlineTimers.containsKey(task.taskId())
                || !(phase == TaskPhase.PLACING || phase == TaskPhase.STARTING || phase == TaskPhase.READY)) {
            return;
        }
        long delay = Math.max(1, task.acceptedAtMillis() + max - System.currentTimeMillis());
        long timer = vertx.setTimer(delay, id -> {
            deadlineTimers.remove(task.taskId());
            if (tasks.get(task.taskId()) != task || task.endedOutcome() != null) {
                return;
            }
            String reason = "task.ended not received within " + max + " ms of task.started (maximum task lifetime)";
            LOG.warn("task {}: {}; releasing its services", task.taskId(), reason);
            task.record(new Task.TimelineEntry(System.currentTimeMillis(), "deadline", null, reason));
            apply(task, null, new TaskInput.DeadlineExceeded(reason));
        });
        deadlineTimers.put(task.taskId(), timer);
    }

    /** Whether a lease still matters: the task waits for or holds services that its end has not released yet. */
    private static boolean leased(Task task) {
        TaskPhase phase = task.phase();
        return task.endedOutcome() == null
                && (phase == TaskPhase.PLACING || phase == TaskPhase.STARTING || phase == TaskPhase.READY);
    }

    /**
     * (Re)starts the task's lease: {@code seconds} (a heartbeat's new length), else the length it has, else the one
     * its {@code task.started} asked for; a task without one, or past the point where it matters, has none.
     */
    private void renewLease(Task task, Integer seconds) {
        if (!leased(task)) {
            leases.cancel(task.taskId());
            return;
        }
        int length = seconds != null ? seconds : leases.holds(task.taskId()) ? leases.seconds(task.taskId())
                : task.request() != null && task.request().leaseSeconds() != null ? task.request().leaseSeconds() : 0;
        if (length <= 0) {
            return;
        }
        leases.renew(task.taskId(), length, expiredAfter -> {
            if (tasks.get(task.taskId()) != task || !leased(task)) {
                return;
            }
            String reason = "lease expired: no berth.task.heartbeat.v1 within " + expiredAfter
                    + " s (the CI side is gone?)";
            LOG.warn("task {}: {}; releasing its services", task.taskId(), reason);
            task.record(new Task.TimelineEntry(System.currentTimeMillis(), "lease-expired", null, reason));
            apply(task, null, new TaskInput.DeadlineExceeded(reason));
        });
    }

    private void cancelDeadline(String taskId) {
        Long timer = deadlineTimers.remove(taskId);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }

    @Override
    public void connected(String worker) {
        agents.session(worker).ifPresent(session -> reconcile(worker, session.hello().getInventoryList()));
        placer.workersChanged();
    }

    /**
     * Partitions of the task topics given to ({@code assigned}) or taken from this instance; their tasks were just
     * restored or forgotten. Connected agents' inventories are reconciled again against the tasks now owned.
     */
    void partitionsChanged(java.util.Set<Integer> partitions, int partitionCount, boolean assigned) {
        if (assigned) {
            ownedPartitions.addAll(partitions);
        } else {
            ownedPartitions.removeAll(partitions);
        }
        this.partitionCount = partitionCount;
        if (assigned) {
            for (var w : agents.workers()) {
                if (w.connected()) {
                    agents.session(w.worker()).ifPresent(s -> reconcile(w.worker(), s.hello().getInventoryList()));
                }
            }
        }
    }

    private boolean owns(String taskId) {
        return partitionCount > 0
                && ownedPartitions.contains(io.berth.orchestrator.ingress.StateReader.partitionOf(taskId, partitionCount));
    }

    /**
     * What an agent runs (its hello's inventory) against what this instance knows: services of a task that is over
     * are stopped; so are those of a task this instance owns but does not know (forgotten after its retention, or
     * never started through Berth) — after a grace period, since its events may still be on their way. Tasks of
     * other instances' partitions are theirs to reconcile.
     */
    private void reconcile(String worker, List<RunningTask> inventory) {
        for (RunningTask running : inventory) {
            Task task = tasks.get(running.getTaskId());
            if (task == null) {
                if (owns(running.getTaskId())) {
                    vertx.setTimer(UNKNOWN_TASK_GRACE_MILLIS, id -> stopIfStillUnknown(worker, running));
                }
                continue;
            }
            if (!worker.equals(task.worker()) || running.getGeneration() != task.generation()) {
                continue;
            }
            TaskPhase phase = task.phase();
            if (phase == TaskPhase.FAILED || phase == TaskPhase.STOPPING || phase == TaskPhase.RELEASED) {
                LOG.info("task {}: worker {} still runs its services ({}); stopping them", task.taskId(), worker,
                        phase);
                sendStopFor(worker, running, "task is " + phase.name().toLowerCase() + "; services left running");
            }
        }
    }

    private void stopIfStillUnknown(String worker, RunningTask running) {
        if (!tasks.containsKey(running.getTaskId()) && owns(running.getTaskId()) && agents.isConnected(worker)) {
            LOG.warn("task {}: worker {} runs services of it, but this orchestrator does not know the task; "
                    + "stopping them", running.getTaskId(), worker);
            sendStopFor(worker, running, "task unknown to the orchestrator");
        }
    }

    private void sendStopFor(String worker, RunningTask running, String reason) {
        agents.send(worker, OrchestratorCommand.newBuilder().setStop(StopServices.newBuilder()
                        .setTaskId(running.getTaskId())
                        .setGeneration(running.getGeneration())
                        .setReason(reason)))
                .onFailure(error -> LOG.warn("task {}: StopServices to {} failed: {}", running.getTaskId(), worker,
                        error.getMessage()));
    }

    @Override
    public void changed(String worker) {
        placer.workersChanged();
    }

    @Override
    public void lost(String worker) {
        for (Task task : tasks()) {
            if (worker.equals(task.worker()) && task.phase().holdsServices()) {
                apply(task, null, new TaskInput.AgentLost(worker));
            }
        }
        placer.workersChanged();
    }

    private Future<Void> apply(Task task, String dedupeKey, TaskInput input) {
        if (tasks.get(task.taskId()) != task) {
            return Future.succeededFuture(); // handed over to another instance (or forgotten) meanwhile
        }
        TaskPhase before = task.phase();
        boolean wasActive = isActive(before);
        ServiceState service = input instanceof TaskInput.ServiceEvent e ? task.service(e.service()) : null;
        boolean wasReady = service != null && service.ready() != null;
        boolean wasStopped = service != null && service.stopped() != null;
        List<Effect> effects = TaskStateMachine.apply(task, dedupeKey, input);
        if (service != null && !wasReady && service.ready() != null && input instanceof TaskInput.Ready ready) {
            metrics.serviceReady(ready.event().portOpenAtMillis(), ready.event().readyAtMillis(),
                    service.probeAttempts());
        }
        if (service != null && !wasStopped && service.stopped() != null) {
            metrics.serviceStopped(task.worker(), service.stopped().signal());
        }
        for (Effect effect : effects) {
            if (effect instanceof Effect.Publish p && EventTypes.TASK_SERVICES_FAILED.equals(p.type())) {
                metrics.taskFailed(Timeline.failureReason(input));
            }
        }
        if (before != task.phase()) {
            LOG.debug("task {}: {} -> {} on {}", task.taskId(), before, task.phase(), input.getClass().getSimpleName());
            task.updatedAtMillis(System.currentTimeMillis());
            if (task.phase() == TaskPhase.RELEASED) {
                cancelStopTimer(task.taskId());
                cancelDeadline(task.taskId());
            }
            if (!leased(task)) {
                leases.cancel(task.taskId());
            }
            activeTasks += (isActive(task.phase()) ? 1 : 0) - (wasActive ? 1 : 0);
        }
        armDeadline(task);
        if (input instanceof TaskInput.Started && leased(task) && !leases.holds(task.taskId())) {
            renewLease(task, null);
        }
        List<Future<?>> durable = new ArrayList<>();
        for (Effect effect : effects) {
            Future<?> done = execute(task, effect);
            if (done != null) {
                durable.add(done);
            }
        }
        // The snapshot after every input (dedupe keys included): whoever owns the partition next resumes from it.
        durable.add(writeState(task.taskId(),
                io.berth.orchestrator.state.StateRecord.encode(io.berth.orchestrator.state.TaskSnapshot.of(task))));
        return durable.isEmpty() ? Future.succeededFuture() : Future.all(durable).mapEmpty();
    }

    /** Carries out one effect; returns the future of a Kafka publish, null for fire-and-forget effects. */
    private Future<?> execute(Task task, Effect effect) {
        if (effect instanceof Effect.Publish publish) {
            return publish(task, publish);
        }
        if (effect instanceof Effect.Place place) {
            place(task, place.request());
        } else if (effect instanceof Effect.CancelPlacement) {
            placer.cancel(task.taskId());
        } else if (effect instanceof Effect.SendStart start) {
            sendStart(task, start);
        } else if (effect instanceof Effect.SendStop stop) {
            sendStop(task, stop);
        } else if (effect instanceof Effect.ReleaseWorker) {
            placer.release(task.taskId());
        } else {
            throw new IllegalStateException("unhandled effect " + effect);
        }
        return null;
    }

    private Future<?> publish(Task task, Effect.Publish publish) {
        if (EventTypes.TASK_SERVICES_READY.equals(publish.type()) && task.startedAtNanos() != 0) {
            metrics.taskReady(task.startedAtNanos());
        }
        if (EventTypes.TASK_SERVICES_RELEASED.equals(publish.type()) && task.endedAtNanos() != 0) {
            metrics.taskReleased(task.endedAtNanos());
        }
        task.record(new Task.TimelineEntry(System.currentTimeMillis(), publish.type(), null,
                Timeline.describe(publish.payload())));
        LOG.info("task {}: publishing {}", task.taskId(), publish.type());
        // the same for every publish of this output, whichever instance makes it: a repeat is a duplicate
        String occurrence = task.acceptedAtMillis() + "/" + task.generation();
        return publishUntilDone(task.taskId(), occurrence, publish, 1);
    }

    /**
     * The state machine already moved on, so a lost output would never be produced again: keep trying
     * (the producer itself retries for its delivery timeout first) while the orchestrator runs.
     */
    private Future<Void> publishUntilDone(String taskId, String occurrence, Effect.Publish publish, int attempt) {
        return Future.fromCompletionStage(publisher.publishTaskServices(publish.type(), taskId, occurrence,
                        publish.payload()),
                        context)
                .<Void>mapEmpty()
                .recover(error -> {
                    if (stopped) {
                        return Future.failedFuture(error);
                    }
                    LOG.warn("task {}: publishing {} failed (attempt {}): {}; retrying", taskId, publish.type(),
                            attempt, error.toString());
                    return vertx.timer(Math.min(5_000, 250L * attempt), java.util.concurrent.TimeUnit.MILLISECONDS)
                            .compose(v -> publishUntilDone(taskId, occurrence, publish, attempt + 1));
                });
    }

    /** Stops retrying publishes and cancels timers (shutdown). */
    void stop() {
        stopped = true;
        stopTimers.values().forEach(vertx::cancelTimer);
        stopTimers.clear();
        deadlineTimers.values().forEach(vertx::cancelTimer);
        deadlineTimers.clear();
        leases.cancelAll();
    }

    private void place(Task task, TaskRequest request) {
        placer.place(new PlacementRequest(task.taskId(), request.worker(), request.services().size()))
                .onSuccess(reservation -> {
                    task.record(new Task.TimelineEntry(System.currentTimeMillis(), "placed", null,
                            "on worker " + reservation.worker()));
                    apply(task, null, new TaskInput.Placed(reservation.worker()));
                })
                .onFailure(error -> {
                    LOG.warn("task {}: {}", task.taskId(), error.getMessage());
                    apply(task, null, new TaskInput.PlacementFailed(error.getMessage()));
                });
    }

    private void sendStart(Task task, Effect.SendStart start) {
        TaskRequest request = start.request();
        StartServices.Builder body = StartServices.newBuilder()
                .setTaskId(task.taskId())
                .setGeneration(start.generation())
                .putAllInputs(request.inputs());
        if (request.network() != null) {
            NetworkRequest.Builder network = NetworkRequest.newBuilder();
            if (request.network().mode() != null) {
                network.setMode(request.network().mode());
            }
            if (request.network().path() != null) {
                network.setJoinPath(request.network().path());
            }
            body.setNetwork(network);
        }
        for (TaskRequest.RequestedService service : request.services()) {
            body.addServices(ServiceSpec.newBuilder().setName(service.name()).setConfigJson(service.configJson()));
        }
        LOG.info("task {}: starting {} service(s) on {}", task.taskId(), request.services().size(), start.worker());
        agents.send(start.worker(), OrchestratorCommand.newBuilder().setStart(body)).onFailure(error -> {
            if (error instanceof CommandRejectedException) {
                apply(task, null, new TaskInput.StartRejected(start.worker(), error.getMessage()));
            } else {
                LOG.warn("task {}: StartServices to {} not delivered: {}", task.taskId(), start.worker(),
                        error.getMessage());
            }
        });
    }

    private void sendStop(Task task, Effect.SendStop stop) {
        LOG.info("task {}: stopping services on {} ({})", task.taskId(), stop.worker(), stop.reason());
        agents.send(stop.worker(), OrchestratorCommand.newBuilder().setStop(StopServices.newBuilder()
                        .setTaskId(task.taskId())
                        .setGeneration(stop.generation())
                        .setReason(stop.reason())))
                .onFailure(error -> LOG.warn("task {}: StopServices to {} failed: {}", task.taskId(), stop.worker(),
                        error.getMessage()));
        cancelStopTimer(task.taskId());
        long timer = vertx.setTimer(settings.stopTimeoutMillis(), id -> {
            stopTimers.remove(task.taskId());
            if (task.phase() == TaskPhase.FAILED || task.phase() == TaskPhase.STOPPING) {
                LOG.warn("task {}: not every service reported stopped within {} ms; releasing it anyway",
                        task.taskId(), settings.stopTimeoutMillis());
                apply(task, null, new TaskInput.StopTimedOut());
            }
        });
        stopTimers.put(task.taskId(), timer);
    }

    private void cancelStopTimer(String taskId) {
        Long timer = stopTimers.remove(taskId);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }

    private static boolean isActive(TaskPhase phase) {
        return phase == TaskPhase.PLACING || phase.holdsServices();
    }
}
