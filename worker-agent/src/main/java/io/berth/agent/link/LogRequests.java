package io.berth.agent.link;

import com.google.protobuf.ByteString;
import io.berth.agent.logs.LogRead;
import io.berth.agent.logs.ServiceLogs;
import io.berth.agent.logs.ServiceSecrets;
import io.berth.protocol.FetchLogs;
import io.berth.protocol.LogChunk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Answers the orchestrator's {@code FetchLogs}: one bounded read of a service's log, secrets masked. Reads run on a
 * worker thread; a failure is answered with {@code error}, never left unanswered.
 */
public final class LogRequests {
    private final Vertx vertx;
    private final ServiceLogs logs;
    private final ServiceSecrets secrets;

    public LogRequests(Vertx vertx, ServiceLogs logs, ServiceSecrets secrets) {
        this.vertx = vertx;
        this.logs = logs;
        this.secrets = secrets;
    }

    public Future<LogChunk> fetch(String commandId, FetchLogs request) {
        return vertx.executeBlocking(() -> {
            LogRead chunk = logs.readMasked(request.getTaskId(), request.getGeneration(), request.getService(),
                    request.getOffset(), request.getMaxBytes(), request.getTailLines(),
                    secrets.of(request.getTaskId(), request.getService()));
            return LogChunk.newBuilder()
                    .setCommandId(commandId)
                    .setFound(chunk.found())
                    .setData(ByteString.copyFrom(chunk.data()))
                    .setOffset(chunk.offset())
                    .setNextOffset(chunk.nextOffset())
                    .setSkipped(chunk.skipped())
                    .setSize(chunk.size())
                    .build();
        }, false).recover(error -> Future.succeededFuture(LogChunk.newBuilder()
                .setCommandId(commandId)
                .setError(String.valueOf(error.getMessage()))
                .build()));
    }
}
