package io.berth.agent.link;

import io.berth.agent.supervisor.NoRoomException;
import java.lang.System.Logger.Level;
import io.berth.protocol.AgentLinkGrpcClient;
import io.berth.protocol.AgentMessage;
import io.berth.protocol.CommandAck;
import io.berth.protocol.Heartbeat;
import io.berth.protocol.Hello;
import io.berth.protocol.LogChunk;
import io.berth.protocol.OrchestratorCommand;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The agent's side of the one bidirectional stream to the orchestrator. The agent dials (workers
 * need not be reachable), says hello with its inventory, heartbeats, hands commands to a
 * {@link CommandHandler} and acknowledges them; when the stream breaks it redials with backoff.
 */
public final class OrchestratorLink {
    private static final System.Logger LOG = System.getLogger(OrchestratorLink.class.getName());

    private final Vertx vertx;
    private final LinkSettings settings;
    private final Supplier<Hello> hello;
    private final IntSupplier activeServices;
    private final CommandHandler commands;
    private final GrpcClient client;

    private GrpcClientRequest<AgentMessage, OrchestratorCommand> stream;
    private Promise<Void> connected = Promise.promise();
    private long heartbeatTimer = -1;
    private long backoff;
    private volatile int reconnects;
    private LogRequests logRequests;
    private boolean stopped;
    private volatile String lastRefusal;

    public OrchestratorLink(Vertx vertx, LinkSettings settings, Supplier<Hello> hello, IntSupplier activeServices,
                            CommandHandler commands) {
        this.vertx = vertx;
        this.settings = settings;
        this.hello = hello;
        this.activeServices = activeServices;
        this.commands = commands;
        this.client = settings.tls() == null ? GrpcClient.client(vertx) : GrpcClient.client(vertx,
                new HttpClientOptions().setSsl(true).setUseAlpn(true).setProtocolVersion(HttpVersion.HTTP_2)
                        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(settings.tls().cert().toString())
                                .setKeyPath(settings.tls().key().toString()))
                        .setTrustOptions(new PemTrustOptions().addCertPath(settings.tls().ca().toString())));
        this.backoff = settings.minBackoffMillis();
    }

    /** Answers FetchLogs with these (without, FetchLogs is answered with an error). Call before {@link #start}. */
    public OrchestratorLink logRequests(LogRequests requests) {
        this.logRequests = requests;
        return this;
    }

    /** Starts dialing; the returned future completes once the first hello was sent. */
    public Future<Void> start() {
        dial();
        return connected.future();
    }

    /** Completes when the link is (re)connected. */
    public Future<Void> connected() {
        return connected.future();
    }

    public int reconnects() {
        return reconnects;
    }

    public Future<Void> stop() {
        stopped = true;
        cancelHeartbeat();
        if (stream != null) {
            stream.end();
            stream = null;
        }
        return client.close();
    }

    private void dial() {
        if (stopped) {
            return;
        }
        client.request(SocketAddress.inetSocketAddress(settings.port(), settings.host()), AgentLinkGrpcClient.Connect)
                .onSuccess(this::open)
                .onFailure(this::dialFailed);
    }

    private void open(GrpcClientRequest<AgentMessage, OrchestratorCommand> request) {
        stream = request;
        request.exceptionHandler(err -> lost(request, err));
        request.write(AgentMessage.newBuilder().setHello(hello.get()).build());
        request.response().onSuccess(response -> {
            response.handler(this::onCommand);
            response.exceptionHandler(err -> lost(request, err));
            response.endHandler(v -> {
                if (response.status() != null && response.status() != GrpcStatus.OK) {
                    refused(response.status().name() + ": " + response.statusMessage());
                }
                lost(request, new IllegalStateException("orchestrator closed the stream"));
            });
        }).onFailure(err -> lost(request, err));
        request.connection().closeHandler(v -> lost(request, new IllegalStateException("connection closed")));
        backoff = settings.minBackoffMillis();
        heartbeatTimer = vertx.setPeriodic(settings.heartbeatMillis(), id -> heartbeat());
        LOG.log(Level.INFO, "linked to orchestrator at {0}:{1}", settings.host(), String.valueOf(settings.port()));
        connected.tryComplete();
    }

    private void heartbeat() {
        if (stream != null) {
            stream.write(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()
                    .setSentAtMillis(System.currentTimeMillis())
                    .setActiveServices(activeServices.getAsInt())).build());
        }
    }

    private void onCommand(OrchestratorCommand command) {
        GrpcClientRequest<AgentMessage, OrchestratorCommand> replyOn = stream;
        if (command.hasFetchLogs()) {
            answer(command, replyOn);
            return;
        }
        Future<Void> applied;
        try {
            applied = commands.handle(command);
        } catch (RuntimeException e) {
            applied = Future.failedFuture(e);
        }
        applied.onComplete((v, err) -> {
            CommandAck.Builder ack = CommandAck.newBuilder().setCommandId(command.getCommandId()).setAccepted(err == null)
                    .setNoRoom(err instanceof NoRoomException);
            if (err != null) {
                LOG.log(Level.WARNING, "command {0} failed: {1}", command.getCommandId(), err.getMessage());
                ack.setError(String.valueOf(err.getMessage()));
            }
            if (replyOn != null && replyOn == stream) {
                replyOn.write(AgentMessage.newBuilder().setAck(ack).build());
            }
        });
    }

    /** A read, not a command: answered with one LogChunk on the stream it came on, never acknowledged. */
    private void answer(OrchestratorCommand command, GrpcClientRequest<AgentMessage, OrchestratorCommand> replyOn) {
        Future<LogChunk> chunk = logRequests == null
                ? Future.succeededFuture(LogChunk.newBuilder().setCommandId(command.getCommandId())
                        .setError("this agent does not serve logs").build())
                : logRequests.fetch(command.getCommandId(), command.getFetchLogs());
        chunk.onSuccess(c -> {
            if (replyOn != null && replyOn == stream) {
                replyOn.write(AgentMessage.newBuilder().setLogChunk(c).build());
            }
        });
    }

    /** The stream {@code which} broke; only the current stream's loss triggers a redial. */
    private void lost(GrpcClientRequest<AgentMessage, OrchestratorCommand> which, Throwable cause) {
        if (stopped || which != stream) {
            return;
        }
        stream = null;
        cancelHeartbeat();
        connected = Promise.promise();
        reconnects++;
        scheduleDial(cause);
    }

    /** Why the orchestrator last refused this agent (its certificate, its name), or null. */
    public String lastRefusal() {
        return lastRefusal;
    }

    private void refused(String why) {
        if (!why.equals(lastRefusal)) { // once per reason, not once per redial
            LOG.log(Level.ERROR, "orchestrator at {0}:{1} refused this agent: {2}", settings.host(),
                    String.valueOf(settings.port()), why);
        }
        lastRefusal = why;
    }

    /**
     * A dial that failed. Over TLS 1.3 an orchestrator that refuses the agent's certificate (signed by another CA,
     * expired, none) closes the connection right after the handshake, and the alert it sends does not reach here
     * as such: a connection closed while dialing is most likely that. The orchestrator logs the precise reason.
     */
    private void dialFailed(Throwable cause) {
        if (settings.tls() != null && (isTlsFailure(cause) || String.valueOf(cause.getMessage())
                .contains("Connection was closed"))) {
            refused("TLS handshake failed or the connection was closed right after it (" + cause.getMessage()
                    + "): the orchestrator most likely does not accept this agent's certificate (not signed by its "
                    + "CA, expired) — see its log; check BERTH_TLS_CA, BERTH_TLS_CERT, BERTH_TLS_KEY");
        }
        scheduleDial(cause);
    }

    private void scheduleDial(Throwable cause) {
        if (stopped) {
            return;
        }

        // half the backoff plus a random part of the other half: when an orchestrator instance dies, a thousand
        // agents lose it at the same moment, and redialing in step they all handshake with its replacement at once
        // (handshakes then time out, and they retry in step again)
        long delay = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff - backoff / 2 + 1);
        backoff = Math.min(backoff * 2, settings.maxBackoffMillis());
        LOG.log(Level.DEBUG, "orchestrator link down ({0}); redial in {1} ms", cause.getMessage(),
                String.valueOf(delay));
        vertx.setTimer(delay, id -> dial());
    }

    private static boolean isTlsFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    private void cancelHeartbeat() {
        if (heartbeatTimer >= 0) {
            vertx.cancelTimer(heartbeatTimer);
            heartbeatTimer = -1;
        }
    }
}
