package io.berth.orchestrator.state;

import io.berth.events.EventTypes;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.SvcVariables;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskServicesReleased.ServiceRelease;
import io.berth.orchestrator.state.Effect.Publish;
import io.berth.orchestrator.state.Effect.ReleaseWorker;
import io.berth.orchestrator.state.Effect.SendStop;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The transitions of {@link TaskStateMachine} that answer the CI platform — ready, failed, released — with the
 * payloads they publish and what they stop or give back. Pure, like the machine.
 */
final class Outcomes {
    private Outcomes() {}

    /** Before ready: tell the CI platform once, and stop whatever was started. */
    static List<Effect> fail(Task task, String service, String reason, List<String> logTail) {
        task.failure(service == null ? reason : service + ": " + reason);
        task.phase(TaskPhase.FAILED);
        String stopReason = service == null ? reason : "service " + service + " failed";
        return List.of(
                new Publish(EventTypes.TASK_SERVICES_FAILED,
                        new TaskServicesFailed(task.taskId(), task.worker(), service, reason, logTail)),
                new SendStop(task.worker(), task.generation(), stopReason));
    }

    static List<Effect> failWithoutServices(Task task, String reason) {
        task.failure(reason);
        task.phase(TaskPhase.RELEASED);
        String worker = task.request() == null ? null : task.request().worker();
        return List.of(
                new Publish(EventTypes.TASK_SERVICES_FAILED,
                        new TaskServicesFailed(task.taskId(), worker, null, reason, List.of())),
                new Publish(EventTypes.TASK_SERVICES_RELEASED,
                        new TaskServicesReleased(task.taskId(), worker, List.of())));
    }

    static List<Effect> release(Task task) {
        task.phase(TaskPhase.RELEASED);
        List<ServiceRelease> released = new ArrayList<>();
        for (ServiceState s : task.services()) {
            if (s.stopped() != null) {
                released.add(new ServiceRelease(s.name(), s.stopped().signal(), s.stopped().durationMillis(),
                        s.stopped().exitCode(), s.exitedAtMillis()));
            }
        }
        return List.of(
                new Publish(EventTypes.TASK_SERVICES_RELEASED,
                        new TaskServicesReleased(task.taskId(), task.worker(), released)),
                new ReleaseWorker(task.worker()));
    }

    static TaskServicesReady readyPayload(Task task) {
        Map<String, SvcVariables> vars = new LinkedHashMap<>();
        NetworkSpec network = null;
        for (ServiceState s : task.services()) {
            ServiceReady ready = s.ready();
            vars.put(s.name(), SvcVariables.of(ready.host(), ready.ports()));
            if (network == null) {
                network = ready.network();
            }
        }
        return new TaskServicesReady(task.taskId(), task.worker(), network, vars);
    }
}
