package io.berth.agent.link;

import static io.berth.agent.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.agent.supervisor.NoRoomException;
import io.berth.protocol.AgentLinkGrpcService;
import io.berth.protocol.AgentMessage;
import io.berth.protocol.CommandAck;
import io.berth.protocol.FetchLogs;
import io.berth.protocol.Hello;
import io.berth.protocol.LogChunk;
import io.berth.protocol.OrchestratorCommand;
import io.berth.protocol.StopServices;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The agent's end of the link over real gRPC on loopback, against an orchestrator that records what it is sent and
 * sends what the test says: hello first, heartbeats, one acknowledgement per command with its outcome, FetchLogs
 * answered but not acknowledged, a broken stream redialled, a refusal kept.
 */
@ExtendWith(VertxExtension.class)
class OrchestratorLinkTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final AtomicInteger activeServices = new AtomicInteger();
    /** command id → what the agent's handler answers */
    private final Map<String, Supplier<Future<Void>>> outcomes = new ConcurrentHashMap<>();
    private final List<String> handled = new CopyOnWriteArrayList<>();

    private Context context;
    private FakeOrchestrator orchestrator;
    private OrchestratorLink link;

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        context = vertx.getOrCreateContext();
        orchestrator = new FakeOrchestrator();
        int port = result(orchestrator.listen(vertx));
        LinkSettings settings = new LinkSettings(List.of(new LinkSettings.Address("127.0.0.1", port)), 50, 20, 200);
        link = new OrchestratorLink(vertx, settings,
                () -> Hello.newBuilder().setWorker("w1").setCapacity(4).build(), activeServices::get,
                command -> {
                    handled.add(command.getCommandId());
                    return outcomes.getOrDefault(command.getCommandId(), Future::succeededFuture).get();
                });
    }

    @AfterEach
    void tearDown() throws Exception {
        result(on(() -> link.stop()));
        result(orchestrator.close());
    }

    @Test
    void itSaysHelloFirst_thenHeartbeatsWithTheServicesItRuns() throws Exception {
        result(on(link::start));
        activeServices.set(3);

        Stream stream = orchestrator.stream(0);
        Awaitility.await().atMost(WAIT).until(() -> stream.received.stream()
                .anyMatch(m -> m.hasHeartbeat() && m.getHeartbeat().getActiveServices() == 3));

        assertThat(stream.received.get(0).getHello().getWorker()).isEqualTo("w1");
        assertThat(stream.received.stream().skip(1).filter(AgentMessage::hasHello)).as("hello once per stream")
                .isEmpty();
        assertThat(stream.received.stream().skip(1).filter(m -> !m.hasHeartbeat())).isEmpty();
    }

    @Test
    void everyCommandIsAcknowledged_withWhatBecameOfIt() throws Exception {
        outcomes.put("c-refused", () -> Future.failedFuture("port 5432 is used by both service 'a' and service 'b'"));
        outcomes.put("c-full", () -> Future.failedFuture(new NoRoomException("worker w1 is at capacity")));
        outcomes.put("c-throws", () -> {
            throw new IllegalStateException("shutting down");
        });
        result(on(link::start));
        Stream stream = orchestrator.stream(0);

        for (String id : List.of("c-ok", "c-refused", "c-full", "c-throws")) {
            stream.send(stop(id));
        }

        Map<String, CommandAck> acks = stream.awaitAcks(4);
        assertThat(acks.get("c-ok").getAccepted()).isTrue();
        assertThat(acks.get("c-ok").getError()).isEmpty();
        assertThat(acks.get("c-refused").getAccepted()).isFalse();
        assertThat(acks.get("c-refused").getNoRoom()).isFalse();
        assertThat(acks.get("c-refused").getError()).isEqualTo("port 5432 is used by both service 'a' and service 'b'");
        assertThat(acks.get("c-full").getNoRoom()).as("placed elsewhere, not failed").isTrue();
        assertThat(acks.get("c-full").getAccepted()).isFalse();
        assertThat(acks.get("c-throws").getAccepted()).isFalse();
        assertThat(acks.get("c-throws").getError()).isEqualTo("shutting down");
        assertThat(handled).containsExactly("c-ok", "c-refused", "c-full", "c-throws");
    }

    @Test
    void aLogRead_isAnsweredWithOneChunk_neverHandedToTheCommands_norAcknowledged() throws Exception {
        result(on(link::start));
        Stream stream = orchestrator.stream(0);

        stream.send(OrchestratorCommand.newBuilder().setCommandId("logs-1").setFetchLogs(FetchLogs.newBuilder()
                .setTaskId("t1").setService("db").setMaxBytes(1024)).build());
        stream.send(stop("c-after"));

        stream.awaitAcks(1);
        LogChunk chunk = stream.received.stream().filter(AgentMessage::hasLogChunk).findFirst().orElseThrow()
                .getLogChunk();
        assertThat(chunk.getCommandId()).isEqualTo("logs-1");
        assertThat(chunk.getError()).isEqualTo("this agent does not serve logs");
        assertThat(stream.acks()).containsOnlyKeys("c-after");
        assertThat(handled).containsExactly("c-after");
    }

    @Test
    void aStreamTheOrchestratorEnds_isDialledAgain_withHelloFirst() throws Exception {
        result(on(link::start));
        Stream first = orchestrator.stream(0);

        first.end(GrpcStatus.OK, "");

        Stream second = orchestrator.stream(1);
        Awaitility.await().atMost(WAIT).until(() -> !second.received.isEmpty());
        assertThat(second.received.get(0).hasHello()).isTrue();
        result(on(link::connected));
        assertThat(link.reconnects()).isEqualTo(1);
        assertThat(link.lastRefusal()).as("an orderly end is no refusal").isNull();

        second.send(stop("c-again"));
        assertThat(second.awaitAcks(1)).containsKey("c-again");
    }

    @Test
    void anAckWhoseStreamBroke_isNotSentOnTheNextOne() throws Exception {
        Promise<Void> slow = Promise.promise();
        outcomes.put("c-slow", slow::future);
        result(on(link::start));
        Stream first = orchestrator.stream(0);
        first.send(stop("c-slow"));
        Awaitility.await().atMost(WAIT).until(() -> handled.contains("c-slow"));

        first.end(GrpcStatus.OK, "");
        Stream second = orchestrator.stream(1);
        Awaitility.await().atMost(WAIT).until(() -> !second.received.isEmpty());
        context.runOnContext(v -> slow.complete());
        second.send(stop("c-next"));

        assertThat(second.awaitAcks(1)).as("the new owner of the stream resends what it still wants")
                .containsOnlyKeys("c-next");
    }

    @Test
    void aRefusal_isKeptWithTheOrchestratorsReason_andTheLinkKeepsTrying() throws Exception {
        orchestrator.refuseWith = "the certificate names worker w2, the hello w1";
        result(on(link::start));

        Awaitility.await().atMost(WAIT).until(() -> orchestrator.streams.size() >= 2);

        assertThat(link.lastRefusal()).isEqualTo("PERMISSION_DENIED: the certificate names worker w2, the hello w1");
    }

    @Test
    void aStoppedLink_endsItsStream_andDialsNoMore() throws Exception {
        result(on(link::start));
        Stream stream = orchestrator.stream(0);

        result(on(link::stop));

        Awaitility.await().atMost(WAIT).until(() -> stream.ended);
        Awaitility.await().during(Duration.ofMillis(600)).atMost(WAIT).until(() -> orchestrator.streams.size() == 1);
    }

    private static OrchestratorCommand stop(String id) {
        return OrchestratorCommand.newBuilder().setCommandId(id)
                .setStop(StopServices.newBuilder().setTaskId("t1").setGeneration(1).setReason("task ended")).build();
    }

    /** The link lives on one context, as in the agent's verticle. */
    private <T> Future<T> on(Supplier<Future<T>> action) {
        Promise<T> done = Promise.promise();
        context.runOnContext(v -> action.get().onComplete(done));
        return done.future();
    }

    /** An orchestrator's gRPC gateway reduced to recording: every Connect stream, what came on it. */
    private static final class FakeOrchestrator {
        final List<Stream> streams = new CopyOnWriteArrayList<>();
        volatile String refuseWith;
        private HttpServer server;

        Future<Integer> listen(Vertx vertx) {
            GrpcServer grpc = GrpcServer.server(vertx);
            grpc.callHandler(AgentLinkGrpcService.Connect, request -> {
                Stream stream = new Stream(request, Vertx.currentContext());
                streams.add(stream);
                request.handler(message -> {
                    stream.received.add(message);
                    if (message.hasHello()) {
                        if (refuseWith != null) {
                            stream.end(GrpcStatus.PERMISSION_DENIED, refuseWith);
                        } else {
                            request.response().writeHead();
                        }
                    }
                });
                request.endHandler(v -> stream.ended = true);
                request.exceptionHandler(err -> stream.ended = true);
            });
            server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0));
            return server.requestHandler(grpc).listen().map(HttpServer::actualPort);
        }

        Stream stream(int index) {
            Awaitility.await().atMost(WAIT).until(() -> streams.size() > index);
            return streams.get(index);
        }

        Future<Void> close() {
            return server.close();
        }
    }

    private static final class Stream {
        final GrpcServerRequest<AgentMessage, OrchestratorCommand> request;
        /** the server's context for this stream: everything written on it is written there */
        final Context context;
        final List<AgentMessage> received = new CopyOnWriteArrayList<>();
        volatile boolean ended;

        Stream(GrpcServerRequest<AgentMessage, OrchestratorCommand> request, Context context) {
            this.request = request;
            this.context = context;
        }

        void send(OrchestratorCommand command) throws Exception {
            Awaitility.await().atMost(WAIT).until(() -> !received.isEmpty()); // the head is written after hello
            Promise<Void> written = Promise.promise();
            context.runOnContext(v -> request.response().write(command).onComplete(written));
            result(written.future());
        }

        void end(GrpcStatus status, String message) {
            context.runOnContext(v ->
                    request.response().status(status).statusMessage(message).end());
        }

        Map<String, CommandAck> acks() {
            Map<String, CommandAck> acks = new ConcurrentHashMap<>();
            received.stream().filter(AgentMessage::hasAck).map(AgentMessage::getAck)
                    .forEach(ack -> acks.put(ack.getCommandId(), ack));
            return acks;
        }

        Map<String, CommandAck> awaitAcks(int count) {
            Awaitility.await().atMost(WAIT).until(() -> acks().size() >= count);
            return acks();
        }
    }
}
