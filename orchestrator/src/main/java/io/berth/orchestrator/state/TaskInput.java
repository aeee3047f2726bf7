package io.berth.orchestrator.state;

import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskHeartbeat;

/** Everything that can happen to a task: events from Kafka and outcomes of the orchestrator's own actions. */
public sealed interface TaskInput {

    record Started(TaskRequest request) implements TaskInput {}

    record Ended(TaskEnded ended) implements TaskInput {}

    /**
     * A {@code task.started} that was refused (and dead-lettered): a task still waiting for its start is answered
     * with {@code failed} (the reason) and {@code released}, so the CI platform is not left waiting.
     */
    record Rejected(String reason) implements TaskInput {}

    /** {@code berth.task.heartbeat.v1}: renews the task's lease (handled by the coordinator, not the state machine). */
    record Heartbeat(TaskHeartbeat heartbeat) implements TaskInput {}

    /** Placement reserved {@code worker} for the task. */
    record Placed(String worker) implements TaskInput {}

    /** Placement gave up; {@code reason} names the strategy that left no worker or the wait that expired. */
    record PlacementFailed(String reason) implements TaskInput {}

    /** The agent acknowledged StartServices negatively. */
    record StartRejected(String worker, String error) implements TaskInput {}

    /**
     * The worker refused StartServices for want of room (another instance filled it since its last heartbeat): the
     * task is placed again, elsewhere.
     */
    record NoRoom(String worker, String error) implements TaskInput {}

    /** The worker's agent disconnected and did not come back in time. */
    record AgentLost(String worker) implements TaskInput {}

    /**
     * The task outlived the orchestrator's maximum task lifetime without {@code task.ended}: its services fail
     * (with {@code reason}) and are released, as if the task had ended.
     */
    record DeadlineExceeded(String reason) implements TaskInput {}

    /** StopServices was sent long ago and some services never reported stopped. */
    record StopTimedOut() implements TaskInput {}

    /** A {@code berth.service.*} event: all carry the service name and the command generation. */
    sealed interface ServiceEvent extends TaskInput {
        String service();

        long generation();
    }

    record Starting(ServiceStarting event) implements ServiceEvent {
        public String service() { return event.service(); }
        public long generation() { return event.generation(); }
    }

    record Probed(ServiceProbe event) implements ServiceEvent {
        public String service() { return event.service(); }
        public long generation() { return event.generation(); }
    }

    record Ready(ServiceReady event) implements ServiceEvent {
        public String service() { return event.service(); }
        public long generation() { return event.generation(); }
    }

    record Failed(ServiceFailed event) implements ServiceEvent {
        public String service() { return event.service(); }
        public long generation() { return event.generation(); }
    }

    /** @param atMillis when it exited (the event's time, epoch ms) */
    record Exited(ServiceExited event, long atMillis) implements ServiceEvent {
        public Exited(ServiceExited event) {
            this(event, System.currentTimeMillis());
        }

        public String service() { return event.service(); }
        public long generation() { return event.generation(); }
    }

    record Stopped(ServiceStopped event) implements ServiceEvent {
        public String service() { return event.service(); }
        public long generation() { return event.generation(); }
    }
}
