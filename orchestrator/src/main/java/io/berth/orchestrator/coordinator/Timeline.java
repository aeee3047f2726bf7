package io.berth.orchestrator.coordinator;

import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.orchestrator.metrics.OrchestratorMetrics.FailureReason;
import io.berth.orchestrator.state.TaskInput;

/** Short descriptions of what happened to a task, for its timeline; and why it failed, for metrics. */
final class Timeline {
    private Timeline() {}

    static String describe(TaskInput input) {
        if (input instanceof TaskInput.Started started) {
            var r = started.request();
            return r.services().size() + " service(s): " + String.join(", ", r.serviceNames())
                    + (r.worker() == null ? "" : " on worker " + r.worker());
        }
        if (input instanceof TaskInput.Ended ended) {
            return "outcome " + ended.ended().outcome();
        }
        if (input instanceof TaskInput.Starting s) {
            ServiceStarting e = s.event();
            return e.pid() == null ? "launched" : "launched, pid " + e.pid();
        }
        if (input instanceof TaskInput.Probed p) {
            ServiceProbe e = p.event();
            return "attempt " + e.attempt() + ": " + e.result() + (e.message() == null ? "" : " (" + e.message() + ")");
        }
        if (input instanceof TaskInput.Ready r) {
            ServiceReady e = r.event();
            return "ready on " + e.host() + " " + e.ports() + " after " + (e.readyAtMillis() - e.startedAtMillis())
                    + " ms";
        }
        if (input instanceof TaskInput.Failed f) {
            ServiceFailed e = f.event();
            return e.reason();
        }
        if (input instanceof TaskInput.Exited x) {
            ServiceExited e = x.event();
            return "exited with code " + e.exitCode();
        }
        if (input instanceof TaskInput.Stopped s) {
            ServiceStopped e = s.event();
            return "stopped by " + e.signal() + " in " + e.durationMillis() + " ms"
                    + (e.exitCode() == null ? "" : ", exit code " + e.exitCode());
        }
        return null;
    }

    static String describe(Object payload) {
        if (payload instanceof TaskServicesReady ready) {
            return "services ready on worker " + ready.worker();
        }
        if (payload instanceof TaskServicesFailed failed) {
            return (failed.service() == null ? "" : failed.service() + ": ") + failed.reason();
        }
        if (payload instanceof TaskServicesReleased released) {
            return released.services().size() + " service(s) released";
        }
        return null;
    }

    static FailureReason failureReason(TaskInput input) {
        if (input instanceof TaskInput.Exited) {
            return FailureReason.SERVICE_EXITED;
        }
        if (input instanceof TaskInput.Stopped) {
            return FailureReason.SERVICE_STOPPED;
        }
        if (input instanceof TaskInput.PlacementFailed) {
            return FailureReason.NO_WORKER;
        }
        if (input instanceof TaskInput.StartRejected) {
            return FailureReason.START_REJECTED;
        }
        if (input instanceof TaskInput.AgentLost) {
            return FailureReason.WORKER_LOST;
        }
        return FailureReason.SERVICE_FAILED;
    }
}
