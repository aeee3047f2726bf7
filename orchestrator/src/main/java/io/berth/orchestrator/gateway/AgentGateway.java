package io.berth.orchestrator.gateway;

import io.berth.protocol.AgentLinkGrpcService;
import io.berth.protocol.AgentMessage;
import io.berth.protocol.OrchestratorCommand;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.berth.events.TlsFiles;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
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
 *
 * <p>With {@link TlsFiles} the gateway speaks TLS and requires a client certificate signed by the given CA (mutual
 * TLS): a connection without one, or with one from another CA, fails its handshake (logged here, and the agent sees
 * the TLS alert); an agent may only say the worker name its certificate carries ({@link AgentIdentity}), so no one
 * can register as, or take over, a worker whose key they do not hold.
 */
public final class AgentGateway {
    private static final Logger LOG = LoggerFactory.getLogger(AgentGateway.class);

    private final Vertx vertx;
    private final AgentDirectory directory;
    private final long heartbeatTimeoutMillis;
    private final TlsFiles tls;
    private HttpServer server;
    private long silenceCheck = -1;

    /**
     * @param heartbeatTimeoutMillis a stream silent for longer is closed (the agent counts as gone)
     */
    public AgentGateway(Vertx vertx, AgentDirectory directory, long heartbeatTimeoutMillis) {
        this(vertx, directory, heartbeatTimeoutMillis, null);
    }

    /** @param tls this gateway's certificate and the CA agents' certificates must chain to; null: plaintext */
    public AgentGateway(Vertx vertx, AgentDirectory directory, long heartbeatTimeoutMillis, TlsFiles tls) {
        this.vertx = vertx;
        this.directory = directory;
        this.heartbeatTimeoutMillis = heartbeatTimeoutMillis;
        this.tls = tls;
    }

    /** Listens on {@code host:port} (port 0: any free port); completes with the bound port. */
    public Future<Integer> listen(String host, int port) {
        GrpcServer grpc = GrpcServer.server(vertx);
        grpc.callHandler(AgentLinkGrpcService.Connect, this::connect);
        HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(port);
        if (tls != null) {
            options.setSsl(true).setUseAlpn(true).setClientAuth(ClientAuth.REQUIRED)
                    .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert().toString())
                            .setKeyPath(tls.key().toString()))
                    .setTrustOptions(new PemTrustOptions().addCertPath(tls.ca().toString()))
                    // the handshakes' key exchange and signatures on Vert.x's worker pool, not on this event loop:
                    // a thousand agents redialling a new instance at once would otherwise hold up the tasks it
                    // restores and the heartbeats of the agents already linked
                    .setSslEngineOptions(new JdkSSLEngineOptions().setUseWorkerThread(true));
        }
        server = vertx.createHttpServer(options);
        // a refused TLS handshake never reaches a handler: this is where it is seen
        server.exceptionHandler(err -> LOG.warn("agent gateway refused a connection: {}", describe(err)));
        long period = Math.max(50, heartbeatTimeoutMillis / 4);
        silenceCheck = vertx.setPeriodic(period, id -> directory.closeSilent(heartbeatTimeoutMillis));
        return server.requestHandler(grpc).listen().map(HttpServer::actualPort)
                .onSuccess(p -> LOG.info("agent gateway listening on {}:{} ({})", host, p, tls == null
                        ? "plaintext: any process that reaches this port can act as a worker"
                        : "mutual TLS: agents need a certificate from " + tls.ca()));
    }

    private static String describe(Throwable err) {
        Throwable root = err;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == err ? err.toString() : err.getClass().getSimpleName() + ": " + root;
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
                String refusal = AgentIdentity.refusal(certifiedWorker(), tls != null, message.getHello().getWorker());
                if (refusal != null) {
                    refuse(GrpcStatus.PERMISSION_DENIED, refusal);
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

        private String certifiedWorker() {
            try {
                return AgentIdentity.workerOf(request.connection().peerCertificates());
            } catch (javax.net.ssl.SSLPeerUnverifiedException | RuntimeException e) {
                return null;
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
