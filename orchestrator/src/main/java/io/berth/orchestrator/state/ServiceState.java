package io.berth.orchestrator.state;

import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStopped;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the orchestrator knows about one service of a task, from its agent's events. */
public final class ServiceState {

    public enum Status { PENDING, STARTING, READY, FAILED, EXITED, STOPPED }

    private final String name;
    private Status status = Status.PENDING;
    private int probeAttempts;
    private ServiceReady ready;
    private ServiceStopped stopped;
    private Integer exitCode;
    private Long exitedAtMillis;
    private String failureReason;
    private List<String> logTail = List.of();

    ServiceState(String name) {
        this.name = name;
    }

    static ServiceState restore(TaskSnapshot.Service s, String taskId, String worker, NetworkSpec sibling) {
        ServiceState state = new ServiceState(s.name());
        state.status = s.status() == null ? Status.PENDING : s.status();
        state.probeAttempts = s.probeAttempts();
        state.ready = s.ready() == null ? null : state.sharing(s.ready(), taskId, worker, sibling);
        state.stopped = s.stopped();
        state.exitCode = s.exitCode();
        state.exitedAtMillis = s.exitedAtMillis();
        state.failureReason = s.failureReason();
        state.logTail = s.logTail() == null ? List.of() : List.copyOf(s.logTail());
        return state;
    }

    public String name() {
        return name;
    }

    public Status status() {
        return status;
    }

    public int probeAttempts() {
        return probeAttempts;
    }

    /** The ready event, once the service was ready (kept after it stops). */
    public ServiceReady ready() {
        return ready;
    }

    /** The stopped event, once the agent terminated the service. */
    public ServiceStopped stopped() {
        return stopped;
    }

    public Integer exitCode() {
        return exitCode;
    }

    /** When it exited on its own (epoch ms), null unless it did. */
    public Long exitedAtMillis() {
        return exitedAtMillis;
    }

    public String failureReason() {
        return failureReason;
    }

    public List<String> logTail() {
        return logTail;
    }

    /**
     * The ready event as kept for the task's life, with the strings the task already holds (its id, worker and this
     * service's name) and one instance of those every task has alike (host, network mode, port names) instead of the
     * decoded event's own copies: with ten thousand live tasks those copies were megabytes. The network is the one a
     * sibling service of the task already holds when it is the same (every service of a task is in the task's network
     * namespace: its path was a copy per service, a tenth of what a live task held).
     */
    private ServiceReady sharing(ServiceReady e, String taskId, String worker, NetworkSpec sibling) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        e.ports().forEach((port, number) -> ports.put(port.intern(), number));
        NetworkSpec network = e.network() == null ? null : e.network().equals(sibling) ? sibling
                : new NetworkSpec(e.network().mode() == null ? null : e.network().mode().intern(), e.network().path());
        return new ServiceReady(taskId.equals(e.taskId()) ? taskId : e.taskId(),
                name.equals(e.service()) ? name : e.service(),
                worker != null && worker.equals(e.worker()) ? worker : e.worker(), e.generation(), network,
                e.host() == null ? null : e.host().intern(), ports, e.startedAtMillis(), e.portOpenAtMillis(),
                e.readyAtMillis());
    }

    void starting() {
        if (status == Status.PENDING) {
            status = Status.STARTING;
        }
    }

    /** A counted probe attempt; only failures count here (agents report the one that succeeds as ready). */
    void probed(int attempt, boolean succeeded) {
        if (!succeeded) {
            probeAttempts = Math.max(probeAttempts, attempt);
        }
    }

    /** @param sibling the network another service of the task was ready in, or null */
    void ready(ServiceReady event, String taskId, String worker, NetworkSpec sibling) {
        ready = sharing(event, taskId, worker, sibling);
        if (status == Status.PENDING || status == Status.STARTING) {
            status = Status.READY;
            probeAttempts++; // the attempt that succeeded
        }
    }

    void failed(String reason, List<String> tail) {
        failureReason = reason;
        logTail = tail;
        if (status != Status.STOPPED) {
            status = Status.FAILED;
        }
    }

    void exited(int code, List<String> tail, long atMillis) {
        exitCode = code;
        if (exitedAtMillis == null) {
            exitedAtMillis = atMillis;
        }
        logTail = tail;
        if (status != Status.STOPPED) {
            status = Status.EXITED;
        }
    }

    void stopped(ServiceStopped event) {
        stopped = event;
        if (event.exitCode() != null) {
            exitCode = event.exitCode();
        }
        status = Status.STOPPED;
    }
}
