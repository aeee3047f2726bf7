package io.berth.orchestrator.gateway;

import io.berth.protocol.AgentLinkGrpcService;
import io.berth.protocol.AgentMessage;
import io.berth.protocol.OrchestratorCommand;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC endpoint agents dial: serves {@code AgentLink.Connect}, one bidirectional stream per agent.
 * The first message must be a Hello naming the worker; then heartbeats and acks flow in and commands
 * flow out (see {@link AgentDirectory#send}). Create and use it on one Vert.x context; every handler
 * runs there.
 */
public final class AgentGateway {
    private static final Logger LOG = LoggerFactory.getLogger(AgentGateway.class);

    private final Vertx vertx;
    private final AgentDirectory directory;
    private final long heartbeatTimeoutMillis;
    private HttpServer server;
    private long silenceCheck = -1;

    /**
     * @param heartbeatTimeoutMillis a stream silent for longer is closed (the agent counts as gone)
     */
    public AgentGateway(Vertx vertx, AgentDirectory directory, long heartbeatTimeoutMillis) {
        this.vertx = vertx;
        this.directory = directory;
        this.heartbeatTimeoutMillis = heartbeatTimeoutMillis;
    }

    /** Listens on {@code host:port} (port 0: any free port); completes with the bound port. */
    public Future<Integer> listen(String host, int port) {
        GrpcServer grpc = GrpcServer.server(vertx);
        grpc.callHandler(AgentLinkGrpcService.Connect, this::connect);
        server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port));
        long period = Math.max(50, heartbeatTimeoutMillis / 4);
        silenceCheck = vertx.setPeriodic(period, id -> directory.closeSilent(heartbeatTimeoutMillis));
        return server.requestHandler(grpc).listen().map(HttpServer::actualPort)
                .onSuccess(p -> LOG.info("agent gateway listening on {}:{}", host, p));
    }

    /** The bound port, or -1 before {@link #listen}. */
    public int port() {
        return server == null ? -1 : server.actualPort();
    }

    public AgentDirectory directory() {
        return directory;
    }

    public Future<Void> close() {
        if (silenceCheck >= 0) {
            vertx.cancelTimer(silenceCheck);
        }
        directory.closeAll("orchestrator shutting down");
        return server == null ? Future.succeededFuture() : server.close();
    }

    private void connect(GrpcServerRequest<AgentMessage, OrchestratorCommand> request) {
        var stream = new Stream(request);
        request.handler(stream::onMessage);
        request.endHandler(v -> stream.ended());
        request.exceptionHandler(err -> stream.broke(err.toString()));
        request.response().exceptionHandler(err -> stream.broke(err.toString()));
        request.connection().closeHandler(v -> stream.broke("connection closed"));
    }

    /** One Connect stream; it becomes a session once the agent said Hello. */
    private final class Stream {
        private final GrpcServerRequest<AgentMessage, OrchestratorCommand> request;
        private AgentSession session;
        private boolean done;

        Stream(GrpcServerRequest<AgentMessage, OrchestratorCommand> request) {
            this.request = request;
        }

        void onMessage(AgentMessage message) {
            if (done) {
                return;
            }
            if (session == null) {
                if (!message.hasHello() || message.getHello().getWorker().isBlank()) {
                    refuse(GrpcStatus.INVALID_ARGUMENT, "the first message must be a Hello naming the worker");
                    return;
                }
                session = new AgentSession(message.getHello(), request.response(), System.currentTimeMillis());
                request.response().writeHead();
                directory.attach(session);
                return;
            }
            switch (message.getBodyCase()) {
                case HEARTBEAT -> directory.heartbeat(session, message.getHeartbeat());
                case ACK -> directory.ack(session, message.getAck());
                case LOG_CHUNK -> directory.logChunk(session, message.getLogChunk());
                case HELLO -> refuse(GrpcStatus.INVALID_ARGUMENT, "Hello may only be the first message");
                case BODY_NOT_SET -> session.seen(System.currentTimeMillis());
            }
        }

        void ended() {
            if (done) {
                return;
            }
            done = true;
            if (session != null) {
                session.close(GrpcStatus.OK, "agent closed the stream");
                directory.detach(session, "agent closed the stream");
            } else {
                request.response().end();
            }
        }

        void broke(String why) {
            if (done) {
                return;
            }
            done = true;
            if (session != null) {
                directory.detach(session, why);
            }
        }

        private void refuse(GrpcStatus status, String message) {
            LOG.warn("refusing agent stream: {}", message);
            done = true;
            if (session != null) {
                session.close(status, message);
                directory.detach(session, message);
            } else {
                request.response().status(status).statusMessage(message).end();
            }
        }
    }
}
