package io.berth.orchestrator.coordinator;

import io.berth.events.Envelope;
import io.berth.events.Topics;
import io.berth.events.payload.TaskEnded;
import io.berth.orchestrator.gateway.AgentListener;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.placement.Placer;
import io.berth.orchestrator.state.Effect;
import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskInput;
import io.berth.orchestrator.state.TaskPhase;
import io.berth.orchestrator.state.TaskSnapshot;
import io.berth.orchestrator.state.TaskStateMachine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts each input for a task, applies it to the task's {@link TaskStateMachine} and hands the effects to their
 * executors ({@link EffectRunner}: placement, agent commands, outputs), then saves the task's snapshot
 * ({@link StateStore}). Timers ({@link TaskTimers}) and agents' inventories ({@link Reconciler}) are its other
 * sources of inputs. Lives on the orchestrator's Vert.x context; every method must be called there.
 */
public final class TaskCoordinator implements AgentListener {
    private static final Logger LOG = LoggerFactory.getLogger(TaskCoordinator.class);
    /** The {@code task.ended} outcome of a task released through the admin API. */
    public static final String FORCE_RELEASED = "force-released";
    /** How long a task an agent runs may stay unknown on an owned partition before its services are stopped. */
    public static final Duration UNKNOWN_TASK_GRACE = Duration.ofSeconds(15);

    private final Placer placer;
    private final AgentPort agents;
    private final StateStore state;
    private final OutputPublisher outputs;
    private final Deadlines deadlines;
    private final TaskBook book = new TaskBook();
    private final TaskTimers timers;
    private final Reconciler reconciler;
    private final TransitionMetrics meters;
    private final EffectRunner effects;

    /**
     * How long tasks live.
     *
     * @param stopTimeout      after StopServices, the wait for every stopped event before releasing anyway
     * @param maxTaskLifetime  a task without {@code task.ended} this long after {@code task.started} is released;
     *                         zero: never
     * @param taskRetention    how long a released task is remembered
     * @param unknownTaskGrace how long a task an agent runs may stay unknown here before its services are stopped
     */
    public record Deadlines(Duration stopTimeout, Duration maxTaskLifetime,
                            Duration taskRetention, Duration unknownTaskGrace) {}

    public TaskCoordinator(Vertx vertx, Placer placer, AgentPort agents, StateStore state, OutputPublisher outputs,
                           OrchestratorMetrics metrics, Deadlines deadlines) {
        this.placer = placer;
        this.agents = agents;
        this.state = state;
        this.outputs = outputs;
        this.deadlines = deadlines;
        this.timers = new TaskTimers(vertx, deadlines.maxTaskLifetime(), deadlines.stopTimeout(), this::feedback);
        this.reconciler = new Reconciler(vertx, agents, book::get, deadlines.unknownTaskGrace());
        this.meters = new TransitionMetrics(metrics);
        this.effects = new EffectRunner(placer, agents, outputs, timers, this::feedback);
    }

    /**
     * Applies one event from Kafka.
     *
     * @return completes when the events it caused were acknowledged by Kafka
     */
    public Future<Void> accept(Envelope envelope, TaskInput input) {
        String taskId = envelope.subject();
        Task task = book.get(taskId);
        if (input instanceof TaskInput.Heartbeat beat) {
            // not through the state machine: heartbeats change no phase, and their ids must not pile up as dedupe keys
            if (task != null) {
                timers.renewLease(task, beat.heartbeat().leaseSeconds());
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
            book.add(task);
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
     *
     * @param why what the task's timeline says
     */
    public Optional<Task> forceRelease(String taskId, String why) {
        Task task = book.get(taskId);
        if (task == null) {
            return Optional.empty();
        }
        task.record(new Task.TimelineEntry(System.currentTimeMillis(), "force-release", null, why));
        if (task.endedAtNanos() == 0) {
            task.endedAtNanos(System.nanoTime());
        }
        apply(task, null, new TaskInput.Ended(new TaskEnded(taskId, FORCE_RELEASED)));
        return Optional.of(task);
    }

    public Optional<Task> task(String taskId) {
        return Optional.ofNullable(book.get(taskId));
    }

    public List<Task> tasks() {
        return book.all();
    }

    /** Tasks holding or waiting for services; safe to read from any thread. */
    public int activeTasks() {
        return book.active();
    }

    /** Tasks holding services, per worker (for metrics). */
    public Map<String, Integer> activeTasksByWorker() {
        return book.activeByWorker();
    }

    /** Forgets released (and ended-never-started) tasks not touched for the retention period, state included. */
    public void evictOld() {
        long cutoff = System.currentTimeMillis() - deadlines.taskRetention().toMillis();
        for (Task task : book.removeIf(t -> (t.phase() == TaskPhase.RELEASED || t.phase() == TaskPhase.ENDED)
                && t.updatedAtMillis() < cutoff)) {
            timers.forget(task.taskId());
            state.delete(task.taskId());
        }
    }

    /**
     * Takes over tasks restored from {@code berth.orchestrator-state} (their partitions were just assigned here) and
     * carries on where their previous owner stopped: placement again, StartServices or StopServices again (agents
     * apply each command once per task and generation), stop timeouts and deadlines armed. A task already in
     * memory is newer than its snapshot and kept.
     */
    public void restore(Collection<TaskSnapshot> snapshots) {
        int restored = 0;
        for (TaskSnapshot snapshot : snapshots) {
            if (book.contains(snapshot.taskId())) {
                continue;
            }
            Task task = snapshot.restore();
            task.record(new Task.TimelineEntry(System.currentTimeMillis(), "restored", null,
                    "from " + Topics.ORCHESTRATOR_STATE + " in phase " + task.phase()));
            book.add(task);
            restored++;
            switch (task.phase()) {
                case PLACING -> effects.place(task, task.request());
                case STARTING -> effects.start(task, new Effect.SendStart(task.worker(), task.generation(),
                        task.request()));
                case FAILED, STOPPING -> effects.stop(task, new Effect.SendStop(task.worker(), task.generation(),
                        task.failure() != null ? "task failed: " + task.failure()
                                : "task ended: " + task.endedOutcome()));
                default -> { }
            }
            timers.armDeadline(task);
            timers.renewLease(task, null);
        }
        book.recount();
        if (restored > 0) {
            LOG.info("restored {} task(s) from {}", restored, Topics.ORCHESTRATOR_STATE);
        }
    }

    /**
     * Drops the tasks {@code gone} selects (their partitions went to another instance) from memory, once every state
     * write already made is acknowledged, so their next owner restores the latest state.
     */
    public Future<Void> forget(Predicate<String> gone) {
        return state.settled().map(v -> {
            List<Task> leaving = book.removeIf(t -> gone.test(t.taskId()));
            for (Task task : leaving) {
                timers.forget(task.taskId());
                placer.cancel(task.taskId());
                placer.release(task.taskId());
            }
            if (!leaving.isEmpty()) {
                LOG.info("handed over {} task(s) to the partitions' next owner", leaving.size());
            }
            return null;
        });
    }

    /** See {@link Reconciler#partitionsChanged}. */
    public void partitionsChanged(Set<Integer> partitions, int partitionCount, boolean assigned) {
        reconciler.partitionsChanged(partitions, partitionCount, assigned);
    }

    @Override
    public void connected(String worker) {
        agents.inventory(worker).ifPresent(inventory -> reconciler.reconcile(worker, inventory));
        changed(worker);
    }

    @Override
    public void changed(String worker) {
        agents.candidate(worker).ifPresentOrElse(placer::heardFrom, () -> placer.gone(worker));
    }

    @Override
    public void disconnected(String worker) {
        placer.gone(worker);
    }

    @Override
    public void lost(String worker) {
        for (Task task : book.all()) {
            if (worker.equals(task.worker()) && task.phase().holdsServices()) {
                apply(task, null, new TaskInput.AgentLost(worker));
            }
        }
        placer.gone(worker);
        placer.workersChanged();
    }

    /** Stops retrying publishes and cancels timers (shutdown). */
    public void stop() {
        outputs.stop();
        timers.cancelAll();
    }

    /** An input the orchestrator made itself (a timer fired, a placement came back). */
    private void feedback(Task task, TaskInput input) {
        apply(task, null, input);
    }

    private Future<Void> apply(Task task, String dedupeKey, TaskInput input) {
        if (!book.isCurrent(task)) {
            return Future.succeededFuture(); // handed over to another instance (or forgotten) meanwhile
        }
        TaskPhase before = task.phase();
        TransitionMetrics.Before seen = meters.before(task, input);
        List<Effect> todo = TaskStateMachine.apply(task, dedupeKey, input);
        meters.after(seen, task, input, todo);
        if (before != task.phase()) {
            LOG.debug("task {}: {} -> {} on {}", task.taskId(), before, task.phase(), input.getClass().getSimpleName());
            task.updatedAtMillis(System.currentTimeMillis());
            timers.phaseChanged(task);
            book.phaseChanged(before, task.phase());
        }
        timers.armDeadline(task);
        if (input instanceof TaskInput.Started) {
            timers.startLease(task);
        }
        List<Future<?>> durable = new ArrayList<>();
        for (Effect effect : todo) {
            Future<?> done = effects.run(task, effect);
            if (done != null) {
                durable.add(done);
            }
        }
        // The snapshot after every input (dedupe keys included): whoever owns the partition next resumes from it.
        durable.add(state.save(task));
        return Future.all(durable).mapEmpty();
    }
}
