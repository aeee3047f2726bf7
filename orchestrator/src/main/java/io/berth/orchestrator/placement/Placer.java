package io.berth.orchestrator.placement;

import io.berth.orchestrator.placement.PlacementChain.Reservation;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Places tasks over time: when no worker fits right now (the task's worker has not connected yet, all
 * are full), the task waits — retried whenever the set of workers changes — and fails after the
 * configured wait with the reason of the last attempt. Runs on one Vert.x context.
 */
public final class Placer {
    private final Vertx vertx;
    private final PlacementChain chain;
    private final long waitMillis;
    private final Map<String, Waiter> waiting = new LinkedHashMap<>();

    public Placer(Vertx vertx, PlacementChain chain, long waitMillis) {
        this.vertx = vertx;
        this.chain = chain;
        this.waitMillis = waitMillis;
    }

    /**
     * Reserves a worker for the task, now or once one fits.
     *
     * @return fails with {@link NoWorkerException} when none fitted within the wait
     */
    public Future<Reservation> place(PlacementRequest request) {
        try {
            return Future.succeededFuture(chain.place(request));
        } catch (NoWorkerException e) {
            if (waitMillis <= 0) {
                return Future.failedFuture(e);
            }
            Waiter waiter = new Waiter(request, Promise.promise(), e);
            waiter.timer = vertx.setTimer(waitMillis, id -> expire(request.taskId()));
            waiting.put(request.taskId(), waiter);
            return waiter.promise.future();
        }
    }

    /** Stops waiting for a worker for the task (it ended); its future never completes. */
    public void cancel(String taskId) {
        Waiter waiter = waiting.remove(taskId);
        if (waiter != null) {
            vertx.cancelTimer(waiter.timer);
        }
    }

    /** Gives back the task's reservation and lets waiting tasks try the freed room. */
    public void release(String taskId) {
        chain.release(taskId);
        workersChanged();
    }

    /** The worker refused a start for want of room: it counts as full until it heartbeats again. */
    public void noRoomOn(String worker) {
        chain.markFull(worker);
    }

    /** The worker connected, heartbeated or changed: its own count of active services is believed again. */
    public void heardFrom(WorkerCandidate worker) {
        chain.update(worker);
        chain.heardFrom(worker.worker());
        workersChanged();
    }

    /** The worker's agent is no longer connected: nothing is placed there until it is heard from again. */
    public void gone(String worker) {
        chain.gone(worker);
    }

    /** Retries waiting tasks, oldest first: call when an agent connects, heartbeats or stops draining. */
    public void workersChanged() {
        if (waiting.isEmpty()) {
            return;
        }
        for (Waiter waiter : new ArrayList<>(waiting.values())) {
            try {
                Reservation reservation = chain.place(waiter.request);
                waiting.remove(waiter.request.taskId());
                vertx.cancelTimer(waiter.timer);
                waiter.promise.complete(reservation);
            } catch (NoWorkerException e) {
                waiter.last = e;
            }
        }
    }

    /** Tasks waiting for a worker. */
    public int waiting() {
        return waiting.size();
    }

    public PlacementChain chain() {
        return chain;
    }

    private void expire(String taskId) {
        Waiter waiter = waiting.remove(taskId);
        if (waiter != null) {
            NoWorkerException last = waiter.last;
            waiter.promise.fail(new NoWorkerException(last.strategy(),
                    last.getMessage() + " after waiting " + waitMillis + " ms"));
        }
    }

    private static final class Waiter {
        final PlacementRequest request;
        final Promise<Reservation> promise;
        NoWorkerException last;
        long timer;

        Waiter(PlacementRequest request, Promise<Reservation> promise, NoWorkerException first) {
            this.request = request;
            this.promise = promise;
            this.last = first;
        }
    }
}
