package io.berth.orchestrator.gateway;

import io.berth.orchestrator.placement.WorkerCandidate;
import io.berth.protocol.CommandAck;
import io.berth.protocol.FetchLogs;
import io.berth.protocol.LogChunk;
import io.berth.protocol.Heartbeat;
import io.berth.protocol.OrchestratorCommand;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers whose agents are (or recently were) connected, and the commands sent to them.
 *
 * <p>A command stays in its worker's outbox until the agent acknowledges it. When the stream breaks
 * and the agent comes back, unacknowledged commands are sent again, in order (agents apply them
 * idempotently), so a StopServices is not lost to a reconnect. A worker that stays away longer than
 * the lost-grace period is reported {@link AgentListener#lost lost} and its outbox is dropped.
 *
 * <p>Used on one Vert.x context only.
 */
public final class AgentDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(AgentDirectory.class);

    private final Vertx vertx;
    private final long lostGraceMillis;
    private final Map<String, Entry> entries = new TreeMap<>();
    private final List<AgentListener> listeners = new CopyOnWriteArrayList<>();
    private final String commandPrefix = UUID.randomUUID().toString().substring(0, 8);
    private long commandSeq;
    private volatile int connected;
    private volatile long reconnects;
    /** FetchLogs sent and not answered yet, by command id. */
    private final Map<String, PendingRead> reads = new java.util.HashMap<>();

    public AgentDirectory(Vertx vertx, long lostGraceMillis) {
        this.vertx = vertx;
        this.lostGraceMillis = lostGraceMillis;
    }

    public void addListener(AgentListener listener) {
        listeners.add(listener);
    }

    /**
     * Sends a command to the worker's agent, now or when it reconnects.
     *
     * @return completes when the agent accepted it; fails with {@link CommandRejectedException} when
     *         the agent refused it, or when the worker is unknown or lost
     */
    public Future<Void> send(String worker, OrchestratorCommand.Builder command) {
        Entry entry = entries.get(worker);
        if (entry == null) {
            return Future.failedFuture(new IllegalStateException("worker " + worker + " is not connected"));
        }
        String id = commandPrefix + "-" + (++commandSeq);
        OrchestratorCommand built = command.setCommandId(id).build();
        Pending pending = new Pending(built, Promise.promise());
        entry.outbox.put(id, pending);
        if (entry.session != null) {
            entry.session.write(built);
        }
        return pending.promise.future();
    }

    /**
     * Asks the worker's agent for part of a service log. Not queued like commands: it fails at once when the agent is
     * not connected ({@link WorkerUnavailableException}), and after {@code timeoutMillis} without an answer.
     */
    public Future<LogChunk> fetchLogs(String worker, FetchLogs request, long timeoutMillis) {
        Entry entry = entries.get(worker);
        if (entry == null || entry.session == null) {
            return Future.failedFuture(new WorkerUnavailableException(worker));
        }
        String id = commandPrefix + "-r" + (++commandSeq);
        Promise<LogChunk> promise = Promise.promise();
        long timer = vertx.setTimer(Math.max(1, timeoutMillis), t -> {
            PendingRead read = reads.remove(id);
            if (read != null) {
                read.promise().tryFail(new java.util.concurrent.TimeoutException("worker " + worker
                        + " did not answer a log read within " + timeoutMillis + " ms"));
            }
        });
        reads.put(id, new PendingRead(worker, promise, timer));
        entry.session.write(OrchestratorCommand.newBuilder().setCommandId(id).setFetchLogs(request).build());
        return promise.future();
    }

    void logChunk(AgentSession session, LogChunk chunk) {
        session.seen(System.currentTimeMillis());
        PendingRead read = reads.get(chunk.getCommandId());
        if (read == null || !read.worker().equals(session.worker())) {
            return; // late (timed out) or not ours
        }
        reads.remove(chunk.getCommandId());
        vertx.cancelTimer(read.timer());
        read.promise().tryComplete(chunk);
    }

    /** How many times a known worker's agent connected again (after a broken stream); any thread. */
    public long reconnects() {
        return reconnects;
    }

    /** The open session of {@code worker}, if its agent is connected. */
    public Optional<AgentSession> session(String worker) {
        Entry entry = entries.get(worker);
        return entry == null ? Optional.empty() : Optional.ofNullable(entry.session);
    }

    public boolean isConnected(String worker) {
        return session(worker).isPresent();
    }

    /** How many agents are connected; safe to read from any thread (metrics). */
    public int connectedCount() {
        return connected;
    }

    private void recount() {
        connected = (int) entries.values().stream().filter(e -> e.session != null).count();
    }

    /** Every known worker, connected or within its grace period, sorted by name. */
    public List<WorkerInfo> workers() {
        List<WorkerInfo> out = new ArrayList<>();
        entries.forEach((name, e) -> {
            AgentSession s = e.session;
            out.add(new WorkerInfo(name, s != null,
                    s == null ? e.lastHello.getRuntimesList() : s.hello().getRuntimesList(),
                    e.lastHello.getNetworkModes(), e.lastHello.getCapacity(),
                    s == null ? 0 : s.activeServices(), e.draining,
                    s == null ? 0 : s.connectedAtMillis(), e.lastSeenMillis, e.outbox.size()));
        });
        return out;
    }

    /** The worker as placement sees it, while its agent is connected. */
    public Optional<WorkerCandidate> candidate(String worker) {
        Entry entry = entries.get(worker);
        if (entry == null || entry.session == null) {
            return Optional.empty();
        }
        AgentSession s = entry.session;
        return Optional.of(new WorkerCandidate(worker, s.hello().getCapacity(), s.activeServices(), entry.draining));
    }

    /** Stops (or resumes) placing new tasks on the worker; false when the worker is unknown. */
    public boolean drain(String worker, boolean draining) {
        Entry entry = entries.get(worker);
        if (entry == null) {
            return false;
        }
        entry.draining = draining;
        listeners.forEach(l -> l.changed(worker));
        return true;
    }

    void attach(AgentSession session) {
        String worker = session.worker();
        Entry known = entries.get(worker);
        if (known != null) {
            reconnects++;
        }
        Entry entry = known != null ? known : new Entry();
        entries.put(worker, entry);
        if (entry.session != null && entry.session != session) {
            LOG.info("worker {} opened a new stream; closing the previous one", worker);
            entry.session.close(GrpcStatus.ABORTED, "replaced by a newer stream from worker " + worker);
        }
        entry.session = session;
        entry.lastHello = session.hello();
        entry.lastSeenMillis = session.lastSeenMillis();
        if (entry.lostTimer >= 0) {
            vertx.cancelTimer(entry.lostTimer);
            entry.lostTimer = -1;
        }
        recount();
        for (Pending pending : entry.outbox.values()) {
            session.write(pending.command);
        }
        LOG.info("worker {} connected (capacity {}, runtimes {}, {} unacknowledged command(s) resent)", worker,
                session.hello().getCapacity(), session.hello().getRuntimesList(), entry.outbox.size());
        listeners.forEach(l -> l.connected(worker));
    }

    void heartbeat(AgentSession session, Heartbeat heartbeat) {
        session.heartbeat(heartbeat, System.currentTimeMillis());
        Entry entry = entries.get(session.worker());
        if (entry != null && entry.session == session) {
            entry.lastSeenMillis = session.lastSeenMillis();
            listeners.forEach(l -> l.changed(session.worker()));
        }
    }

    void ack(AgentSession session, CommandAck ack) {
        session.seen(System.currentTimeMillis());
        Entry entry = entries.get(session.worker());
        Pending pending = entry == null ? null : entry.outbox.remove(ack.getCommandId());
        if (pending == null) {
            return; // a duplicate ack after a resend, or a command of a lost worker
        }
        entry.lastSeenMillis = session.lastSeenMillis();
        if (ack.getAccepted()) {
            pending.promise.tryComplete();
        } else {
            pending.promise.tryFail(new CommandRejectedException(session.worker(), ack.getCommandId(), ack.getError(),
                    ack.getNoRoom()));
        }
    }

    /** The session's stream ended or broke; the worker is lost unless it reconnects within the grace period. */
    void detach(AgentSession session, String why) {
        session.markClosed();
        Entry entry = entries.get(session.worker());
        if (entry == null || entry.session != session) {
            return;
        }
        entry.session = null;
        recount();
        String worker = session.worker();
        LOG.info("worker {} disconnected ({}); waiting {} ms for it to come back", worker, why, lostGraceMillis);
        entry.lostTimer = vertx.setTimer(Math.max(1, lostGraceMillis), id -> lose(worker));
        listeners.forEach(l -> l.disconnected(worker));
    }

    /** Closes the streams of agents silent for longer than {@code timeoutMillis}. */
    void closeSilent(long timeoutMillis) {
        long now = System.currentTimeMillis();
        for (Entry entry : new ArrayList<>(entries.values())) {
            AgentSession s = entry.session;
            if (s != null && now - s.lastSeenMillis() > timeoutMillis) {
                String why = "no heartbeat for " + (now - s.lastSeenMillis()) + " ms";
                s.close(GrpcStatus.UNAVAILABLE, why);
                detach(s, why);
            }
        }
    }

    /** Closes every stream (shutdown); agents redial. */
    void closeAll(String why) {
        for (Entry entry : entries.values()) {
            if (entry.session != null) {
                entry.session.close(GrpcStatus.UNAVAILABLE, why);
                entry.session = null;
            }
            if (entry.lostTimer >= 0) {
                vertx.cancelTimer(entry.lostTimer);
            }
            entry.outbox.values().forEach(p -> p.promise.tryFail(why));
        }
        entries.clear();
        recount();
    }

    private void lose(String worker) {
        Entry entry = entries.get(worker);
        if (entry == null || entry.session != null) {
            return;
        }
        entries.remove(worker);
        LOG.warn("worker {} lost: it did not reconnect within {} ms; dropping {} unacknowledged command(s)", worker,
                lostGraceMillis, entry.outbox.size());
        entry.outbox.values().forEach(p -> p.promise.tryFail("worker " + worker + " lost"));
        listeners.forEach(l -> l.lost(worker));
    }

    private static final class Entry {
        AgentSession session;
        io.berth.protocol.Hello lastHello = io.berth.protocol.Hello.getDefaultInstance();
        final Map<String, Pending> outbox = new LinkedHashMap<>();
        boolean draining;
        long lastSeenMillis;
        long lostTimer = -1;
    }

    private record Pending(OrchestratorCommand command, Promise<Void> promise) {}

    private record PendingRead(String worker, Promise<LogChunk> promise, long timer) {}
}
