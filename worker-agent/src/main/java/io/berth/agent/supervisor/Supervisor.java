package io.berth.agent.supervisor;

import io.berth.agent.AgentSettings;
import io.berth.agent.journal.Reaper;
import io.berth.agent.journal.StateDirLock;
import io.berth.agent.journal.TaskJournal;
import io.berth.agent.journal.TaskRecord;
import io.berth.agent.logs.ServiceLog;
import io.berth.agent.StateLayout;
import io.berth.agent.network.TaskNetworks;
import io.berth.agent.os.Signal;
import io.berth.agent.runtime.ServiceRuntime;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.TaskServicesReleased.ServiceRelease;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The agent's services: starts a task's services, stops them, and makes both idempotent (task id +
 * generation). All its state lives on one Vert.x context; {@link ServiceEvents} are called there.
 */
public final class Supervisor {
    private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());
    private static final int REMEMBERED_RELEASES = 4096;

    private final Vertx vertx;
    private final AgentSettings settings;
    private final ServiceRuntime runtime;
    private final Context context;
    private final TaskJournal journal;
    private final TaskNetworks networks;
    private StateDirLock stateLock;
    private final Map<String, TaskRun> runs = new ConcurrentHashMap<>();
    /** Recently released tasks: a late duplicate start must not bring them back; a repeated stop gets the same answer. */
    private final Map<String, Released> released = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Released> eldest) {
            return size() > REMEMBERED_RELEASES;
        }
    };
    private boolean closing;

    private record Released(long generation, Future<List<ServiceRelease>> releases) {}

    public Supervisor(Vertx vertx, AgentSettings settings) {
        this(vertx, settings, RuntimeSelector.standard(vertx, settings));
    }

    public Supervisor(Vertx vertx, AgentSettings settings, ServiceRuntime runtime) {
        this.vertx = vertx;
        this.settings = settings;
        this.runtime = runtime;
        this.context = vertx.getOrCreateContext();
        this.journal = new TaskJournal(settings.stateDir());
        this.networks = new TaskNetworks(vertx, settings);
    }

    /** Reaps everything a crashed agent with this state directory left: {@link #recover} re-attaching nothing. */
    public Future<List<String>> reapOrphans() {
        return recover(Relauncher.NONE);
    }

    /**
     * Picks up after a crashed agent with this state directory. A journalled task whose network can be taken over is
     * re-attached: its journalled services keep running, those it had not journalled yet are launched
     * ({@link TaskRun#reattach}). Everything else is reaped — services killed, namespaces deleted, scratch
     * directories removed — and a task whose every service was launched (so the orchestrator may have been told it
     * started) gets its services reported gone ({@code failed} or {@code exited}, then {@code stopped}); one that was
     * not is started again when the orchestrator sends its unacknowledged start again. What the runtimes know of
     * (containers, also those the journal does not name) and the state directories of dead sibling agents are reaped
     * too. Call once at agent start, before the first {@link #start}. Completes with one line per task re-attached
     * or thing reaped.
     */
    public Future<List<String>> recover(Relauncher relauncher) {
        return onContext(() -> {
            if (!runs.isEmpty()) {
                return Future.failedFuture("recover must run before any task is started");
            }
            List<String> lines = new ArrayList<>();
            return context.executeBlocking(() -> StartupSort.claimAndSort(settings, journal, relauncher,
                    lock -> stateLock = lock), false).compose(found -> reapAllBut(found, lines).map(found))
                    .compose(found -> {
                        List<Future<?>> pending = new ArrayList<>();
                        for (StartupSort.Journalled j : found.reattach()) {
                            pending.add(reattach(j).onSuccess(lines::addAll));
                        }
                        for (StartupSort.Journalled j : found.lost()) {
                            pending.add(reportGone(j,
                                    "the worker agent restarted and cannot take the task's network over"));
                        }
                        return Future.join(pending).transform(ignored -> Future.succeededFuture(lines));
                    });
        });
    }

    /**
     * Reaps all but the tasks {@code found} re-attaches: containers first, through their engine, which stops and
     * removes them itself (the journal's SIGKILL to a container's init, from outside the engine, would leave the
     * engine to find the exit and clean up while it is asked to remove the container), then what the journal names
     * and what dead sibling agents left.
     */
    private Future<Void> reapAllBut(StartupSort.Found found, List<String> lines) {
        return runtime.reapOrphans(found.reattachIds()).compose(removed -> {
            lines.addAll(removed);
            return context.executeBlocking(() -> StartupSort.reap(settings, journal, found), false);
        }).map(reaped -> {
            lines.addAll(reaped);
            return null;
        });
    }

    /**
     * Re-attaches one task; if its network is gone after all, reaps it ({@link #reapUnattachable}). One line per thing
     * done.
     */
    private Future<List<String>> reattach(StartupSort.Journalled j) {
        TaskLaunch launch = j.relaunch().launch();
        TaskRun run = new TaskRun(vertx, context, networks, runtime, journal, launch, settings.workerName(),
                new GuardedEvents(j.relaunch().events()));
        runs.put(launch.taskId(), run);
        return run.reattach(j.record())
                .map(net -> List.of("task " + launch.taskId() + ": re-attached to " + launch.services().size()
                        + " service(s) (generation " + launch.generation() + ")"))
                .recover(e -> {
                    runs.remove(launch.taskId(), run);
                    return reapUnattachable(j, e.getMessage());
                });
    }

    /**
     * Reaps a task that could not be re-attached: its containers through their engine, its processes and namespaces,
     * then its scratch directory (kept for the re-attach) and uid; then reports its services gone.
     */
    private Future<List<String>> reapUnattachable(StartupSort.Journalled j, String why) {
        String task = j.record().taskId();
        List<String> done = new ArrayList<>();
        return runtime.reapOrphans(java.util.Set.copyOf(runs.keySet())) // every other task here is re-attached
                .compose(removed -> {
                    done.addAll(removed);
                    return context.executeBlocking(() -> new Reaper(settings.stateDir(), journal)
                            .reapTask(j.record(), false), false)
                            .otherwise(err -> List.of("task " + task + ": cannot reap it: " + err.getMessage()));
                })
                .compose(reaped -> {
                    done.addAll(reaped);
                    return runtime.releaseTask(task).transform(ar -> {
                        done.add("task " + task + ": " + (ar.succeeded() ? "removed its scratch directory"
                                : "cannot remove its scratch directory: " + ar.cause().getMessage()));
                        return Future.<Void>succeededFuture();
                    });
                })
                .compose(released -> reportGone(j, "the worker agent restarted and cannot re-attach: " + why))
                .map(v -> {
                    done.add("task " + task + ": reaped (" + why + ")");
                    return done;
                });
    }

    /**
     * Tells the orchestrator a reaped task's services are gone, as if they had stopped by themselves, and
     * remembers the task as released (a repeated start of it is refused, a stop answered).
     */
    private Future<Void> reportGone(StartupSort.Journalled j, String reason) {
        TaskLaunch launch = j.relaunch().launch();
        ServiceEvents events = new GuardedEvents(j.relaunch().events());
        String worker = settings.workerName();
        List<ServiceRelease> releases = new ArrayList<>();
        List<Future<Void>> reported = new ArrayList<>();
        for (String service : launch.services().keySet()) {
            TaskRecord.ServiceRecord journalled = j.record().service(service);
            events.emit(journalled != null && journalled.ready()
                    ? new ServiceExited(launch.taskId(), service, worker, launch.generation(), -1, List.of(reason))
                    : new ServiceFailed(launch.taskId(), service, worker, launch.generation(),
                            "service '" + service + "': " + reason, List.of()));
            reported.add(events.emit(new ServiceStopped(launch.taskId(), service, worker, launch.generation(),
                    Signal.SIGKILL.name(), 0, null)));
            releases.add(new ServiceRelease(service, Signal.SIGKILL.name(), 0, null));
        }
        released.put(launch.taskId(), new Released(launch.generation(), Future.succeededFuture(releases)));
        return TaskRun.forgetOnceReported(context, journal, launch.taskId(), reported);
    }

    /** The tasks with services on this worker, for the orchestrator: what an agent says in its hello. */
    public List<Running> inventory() {
        return runs.values().stream().map(r -> new Running(r.taskId(), r.generation(), r.serviceNames())).toList();
    }

    /** A task with services here. */
    public record Running(String taskId, long generation, List<String> services) {}

    /**
     * Starts a task's services. Completes with the task's network once it exists and every service was
     * launched (not when they are ready: that is a {@code ServiceReady} event). A service that cannot be
     * launched is reported as {@code ServiceFailed}; the future itself fails only when the
     * task cannot be set up at all (invalid request, capacity, network). A second start of the same
     * task id and generation is a no-op returning the same network; a newer generation replaces the
     * running one (which is stopped first); an older one is refused.
     */
    public Future<NetworkSpec> start(TaskLaunch launch, ServiceEvents events) {
        return onContext(() -> doStart(launch, events));
    }

    /** Stops a task's services and releases its network. Idempotent; an unknown task gives an empty list. */
    public Future<List<ServiceRelease>> stop(String taskId) {
        return onContext(() -> doStop(taskId));
    }

    /** Task ids with services on this worker (starting, running or being stopped). */
    public Set<String> activeTaskIds() {
        return Set.copyOf(runs.keySet());
    }

    /** Services of the active tasks. */
    public int activeServices() {
        return runs.values().stream().mapToInt(TaskRun::serviceCount).sum();
    }

    /**
     * The last {@code lines} lines of a service's log (stdout and stderr). Works while it runs and
     * after its task was released; empty if there is no such log.
     */
    public Future<List<String>> logTail(String taskId, long generation, String service, int lines) {
        return context.executeBlocking(() -> new ServiceLog(StateLayout.of(settings.stateDir()).log(taskId,
                generation, service)).tail(lines), false);
    }

    /** Stops every task (agent shutdown) and refuses new ones. */
    public Future<Void> stopAll() {
        return onContext(() -> {
            closing = true;
            List<Future<List<ServiceRelease>>> all = new ArrayList<>();
            for (TaskRun run : List.copyOf(runs.values())) {
                all.add(stopRun(run));
            }
            return Future.join(all).onComplete(ar -> releaseStateLock()).mapEmpty();
        });
    }

    private void releaseStateLock() {
        if (stateLock != null) {
            try {
                stateLock.close();
            } catch (java.io.IOException e) {
                // the kernel releases it when the agent exits anyway
            }
            stateLock = null;
        }
    }

    private Future<NetworkSpec> doStart(TaskLaunch launch, ServiceEvents events) {
        if (closing) {
            return Future.failedFuture("worker " + settings.workerName() + " is shutting down");
        }
        launch.validate(settings.defaultNetworkMode());
        String taskId = launch.taskId();
        TaskRun existing = runs.get(taskId);
        Future<?> before = Future.succeededFuture();
        int replacing = 0;
        if (existing != null) {
            if (existing.generation() == launch.generation()) {
                existing.reportAgain();
                return existing.start(Future.succeededFuture());
            }
            if (existing.generation() > launch.generation()) {
                return Future.failedFuture("task " + taskId + ": generation " + launch.generation()
                        + " is older than the running generation " + existing.generation() + "; ignored");
            }
            before = stopRun(existing);
            replacing = existing.serviceCount();
        }
        Released gone = released.get(taskId);
        if (gone != null && gone.generation() >= launch.generation()) {
            return Future.failedFuture("task " + taskId + ": generation " + launch.generation()
                    + " was already released on this worker");
        }
        int active = activeServices() - replacing;
        if (settings.capacity() > 0 && active + launch.services().size() > settings.capacity()) {
            return Future.failedFuture(new NoRoomException("worker " + settings.workerName() + " is at capacity: "
                    + active + " services active, " + launch.services().size() + " requested, capacity "
                    + settings.capacity()));
        }
        TaskRun run = new TaskRun(vertx, context, networks, runtime, journal, launch, settings.workerName(),
                new GuardedEvents(events));
        runs.put(taskId, run);
        // a start that failed is cleaned up but not remembered as released: the same generation may be retried
        return run.start(before).onFailure(e -> run.stop().onComplete(ar -> runs.remove(taskId, run)));
    }

    private Future<List<ServiceRelease>> doStop(String taskId) {
        TaskRun run = runs.get(taskId);
        if (run != null) {
            return stopRun(run);
        }
        Released gone = released.get(taskId);
        return gone != null ? gone.releases() : Future.succeededFuture(List.of());
    }

    private Future<List<ServiceRelease>> stopRun(TaskRun run) {
        Future<List<ServiceRelease>> f = run.stop();
        Released previous = released.get(run.taskId());
        if (previous == null || previous.generation() <= run.generation()) {
            released.put(run.taskId(), new Released(run.generation(), f));
        }
        return f.onComplete(ar -> runs.remove(run.taskId(), run));
    }

    private <T> Future<T> onContext(Supplier<Future<T>> action) {
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> {
            try {
                action.get().onComplete(promise);
            } catch (RuntimeException e) {
                promise.fail(e);
            }
        });
        return promise.future();
    }
}
