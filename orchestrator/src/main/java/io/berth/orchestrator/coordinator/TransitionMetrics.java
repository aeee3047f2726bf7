package io.berth.orchestrator.coordinator;

import io.berth.events.EventTypes;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.state.Effect;
import io.berth.orchestrator.state.ServiceState;
import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskInput;
import java.util.List;

/**
 * Counts what one input did to a task: a service that became ready (its readiness timings), one that stopped (by
 * which signal), a task that failed (why). Compares the service before and after the state machine applied it.
 */
final class TransitionMetrics {
    private final OrchestratorMetrics metrics;

    TransitionMetrics(OrchestratorMetrics metrics) {
        this.metrics = metrics;
    }

    /** What the input's service looked like before it was applied. */
    record Before(ServiceState service, boolean ready, boolean stopped) {}

    Before before(Task task, TaskInput input) {
        ServiceState service = input instanceof TaskInput.ServiceEvent e ? task.service(e.service()) : null;
        return new Before(service, service != null && service.ready() != null,
                service != null && service.stopped() != null);
    }

    void after(Before before, Task task, TaskInput input, List<Effect> effects) {
        ServiceState service = before.service();
        if (service != null && !before.ready() && service.ready() != null && input instanceof TaskInput.Ready ready) {
            metrics.serviceReady(ready.event().portOpenAtMillis(), ready.event().readyAtMillis(),
                    service.probeAttempts());
        }
        if (service != null && !before.stopped() && service.stopped() != null) {
            metrics.serviceStopped(task.worker(), service.stopped().signal());
        }
        for (Effect effect : effects) {
            if (effect instanceof Effect.Publish p && EventTypes.TASK_SERVICES_FAILED.equals(p.type())) {
                metrics.taskFailed(Timeline.failureReason(input));
            }
        }
    }
}
