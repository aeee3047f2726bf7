package io.berth.orchestrator.view;

import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.protocol.FetchLogs;
import io.berth.protocol.LogChunk;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * What the operator surface (admin API, CLI) asks of a running orchestrator: read models of its workers and tasks,
 * and the two operator actions. Callable from any thread; answers come from the orchestrator's own context.
 */
public interface OrchestratorQueries {

    /** Known workers (connected or within their lost-grace period), sorted by name. */
    Future<List<WorkerInfo>> workers();

    /** A snapshot view of one task's state. */
    Future<Optional<TaskView>> task(String taskId);

    /** Snapshot views of every remembered task, oldest first. */
    Future<List<TaskView>> tasks();

    /** Stops (or resumes) placing new tasks on {@code worker}; false when it is unknown. */
    Future<Boolean> drain(String worker, boolean draining);

    /**
     * Releases a task's services now, as if {@code task.ended} (outcome {@code force-released}) had arrived: the
     * normal SIGTERM → grace → SIGKILL path, and {@code released} published. Empty when the task is unknown.
     *
     * @param why what the task's timeline says
     */
    Future<Optional<TaskView>> forceRelease(String taskId, String why);

    /** Reads part of a service's log from the agent of {@code worker}. */
    Future<LogChunk> fetchLogs(String worker, FetchLogs request, long timeoutMillis);

    /** Whether the orchestrator can do its work now. */
    Readiness readiness();
}
