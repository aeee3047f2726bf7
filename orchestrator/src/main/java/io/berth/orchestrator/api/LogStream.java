package io.berth.orchestrator.api;

import io.berth.events.config.Secrets;
import io.berth.orchestrator.view.OrchestratorQueries;
import io.berth.orchestrator.view.ServiceView;
import io.berth.orchestrator.view.TaskView;
import io.berth.orchestrator.gateway.WorkerUnavailableException;
import io.berth.protocol.FetchLogs;
import io.berth.protocol.LogChunk;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Streams one service's log from its worker's agent to an HTTP client: FetchLogs after FetchLogs (each answer
 * bounded by the agent), written as they come. Without follow it ends once the log is read to its current end;
 * with follow it polls for more until the service is gone and its log is read to the end, or the client leaves.
 */
final class LogStream {
    static final long POLL_MILLIS = 300;
    static final long READ_TIMEOUT_MILLIS = 5_000;
    static final int CHUNK_BYTES = 64 << 10;

    private final Vertx vertx;
    private final OrchestratorQueries orchestrator;
    private final RoutingContext rc;
    private final String taskId;
    private final String service;
    private final boolean follow;
    private final String worker;
    private final long generation;
    private final Set<String> secrets;
    private long offset;
    private int tailLines;
    private boolean closed;
    private boolean finalRound;

    private LogStream(Vertx vertx, OrchestratorQueries orchestrator, RoutingContext rc, TaskView task, String service,
                      boolean follow, long offset, int tailLines) {
        this.vertx = vertx;
        this.orchestrator = orchestrator;
        this.rc = rc;
        this.taskId = task.taskId();
        this.service = service;
        this.follow = follow;
        this.worker = task.worker();
        this.generation = task.generation();
        this.secrets = Views.secrets(task);
        this.offset = offset;
        this.tailLines = tailLines;
    }

    /** Answers the request: a problem when there is no log to read, else the log as text/plain. */
    static void serve(Vertx vertx, OrchestratorQueries orchestrator, RoutingContext rc, TaskView task, String service,
                      boolean follow, long offset, int tailLines) {
        ServiceView view = task.services().stream().filter(s -> s.name().equals(service)).findFirst().orElse(null);
        if (view == null) {
            Problems.notFound(rc, "task " + task.taskId() + " has no service '" + service + "'");
            return;
        }
        if (task.worker() == null) {
            Problems.notFound(rc, "service '" + service + "' of task " + task.taskId() + " was never started"
                    + (task.failure() == null ? " (the task is " + task.phase().toLowerCase() + ")"
                    : ": " + Secrets.mask(task.failure(), Views.secrets(task))));
            return;
        }
        new LogStream(vertx, orchestrator, rc, task, service, follow, offset, tailLines).start();
    }

    private void start() {
        rc.response().closeHandler(v -> closed = true);
        rc.response().exceptionHandler(e -> closed = true);
        read();
    }

    private void read() {
        if (closed) {
            return;
        }
        FetchLogs request = FetchLogs.newBuilder().setTaskId(taskId).setGeneration(generation).setService(service)
                .setOffset(offset).setMaxBytes(CHUNK_BYTES).setTailLines(tailLines).build();
        orchestrator.fetchLogs(worker, request, READ_TIMEOUT_MILLIS).onComplete((chunk, error) -> {
            if (closed) {
                return;
            }
            if (error != null) {
                failed(error instanceof WorkerUnavailableException ? error.getMessage()
                        : "reading the log from worker " + worker + " failed: " + error.getMessage());
            } else if (!chunk.getError().isEmpty()) {
                failed("worker " + worker + " could not read the log: " + chunk.getError());
            } else if (!chunk.getFound()) {
                notFound();
            } else {
                write(chunk);
            }
        });
    }

    private void write(LogChunk chunk) {
        HttpServerResponse response = rc.response();
        if (!response.headWritten()) {
            response.setChunked(true)
                    .putHeader("Content-Type", "text/plain; charset=utf-8")
                    .putHeader("X-Berth-Worker", worker)
                    .putHeader("Cache-Control", "no-store");
        }
        tailLines = 0;
        offset = chunk.getNextOffset();
        StringBuilder text = new StringBuilder();
        if (chunk.getSkipped() > 0) {
            text.append("[berth: ").append(chunk.getSkipped()).append(" bytes dropped by the log size cap]\n");
        }
        if (!chunk.getData().isEmpty()) {
            text.append(Secrets.mask(chunk.getData().toString(StandardCharsets.UTF_8), secrets));
        }
        boolean more = !chunk.getData().isEmpty() && chunk.getNextOffset() < chunk.getSize();
        var written = text.length() == 0 ? io.vertx.core.Future.<Void>succeededFuture()
                : response.write(Buffer.buffer(text.toString()));
        written.onComplete(ar -> {
            if (ar.failed() || closed) {
                closed = true;
                return;
            }
            if (more || (!chunk.getData().isEmpty() && follow)) {
                read(); // catch up at once
            } else if (!follow || finalRound) {
                response.end();
            } else {
                checkGoneThenPoll();
            }
        });
    }

    /** Caught up: when the service is gone, read once more (its last words) and end; else wait and read. */
    private void checkGoneThenPoll() {
        orchestrator.task(taskId).onComplete((task, error) -> {
            if (closed) {
                return;
            }
            boolean gone = error != null || task.isEmpty() || serviceGone(task.get());
            if (gone) {
                finalRound = true;
                read();
            } else {
                vertx.setTimer(POLL_MILLIS, t -> read());
            }
        });
    }

    private boolean serviceGone(TaskView task) {
        if (task.generation() != generation || task.phase().equals("RELEASED")) {
            return true;
        }
        return task.services().stream().filter(s -> s.name().equals(service)).findFirst()
                .map(s -> s.status().equals("STOPPED") || s.status().equals("EXITED") || s.status().equals("FAILED"))
                .orElse(true);
    }

    private void failed(String detail) {
        if (rc.response().headWritten()) {
            rc.response().end("\n[berth: " + detail + "]\n");
        } else {
            Problems.unavailable(rc, detail);
        }
    }

    private void notFound() {
        if (rc.response().headWritten()) {
            rc.response().end();
            return;
        }
        orchestrator.task(taskId).onComplete((task, error) -> {
            String why = "";
            if (task != null && task.isPresent()) {
                ServiceView s = task.get().services().stream().filter(v -> v.name().equals(service)).findFirst()
                        .orElse(null);
                if (s != null && s.failureReason() != null) {
                    why = "; it failed before it could write one: "
                            + Secrets.mask(s.failureReason(), Views.secrets(task.get()));
                }
            }
            Problems.notFound(rc, "worker " + worker + " has no log of service '" + service + "' of task " + taskId
                    + why);
        });
    }
}
