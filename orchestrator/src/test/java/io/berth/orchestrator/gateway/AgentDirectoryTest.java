package io.berth.orchestrator.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.protocol.AgentLinkGrpcClient;
import io.berth.protocol.AgentMessage;
import io.berth.protocol.CommandAck;
import io.berth.protocol.Hello;
import io.berth.protocol.OrchestratorCommand;
import io.berth.protocol.StopServices;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The directory behind a real gateway, agents dialling it over gRPC on loopback. */
class AgentDirectoryTest {
    private static final long LOST_GRACE_MILLIS = 300;

    private Vertx vertx;
    private Context context;
    private AgentDirectory directory;
    private AgentGateway gateway;
    private int port;
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<Agent> agents = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        port = on(() -> {
            directory = new AgentDirectory(vertx, LOST_GRACE_MILLIS);
            directory.addListener(new AgentListener() {
                @Override
                public void connected(String worker) {
                    events.add("connected " + worker);
                }

                @Override
                public void changed(String worker) {
                    if (!events.contains("changed " + worker)) {
                        events.add("changed " + worker);
                    }
                }

                @Override
                public void disconnected(String worker) {
                    events.add("disconnected " + worker);
                }

                @Override
                public void lost(String worker) {
                    events.add("lost " + worker);
                }
            });
            gateway = new AgentGateway(vertx, directory, 10_000);
            return gateway.listen("127.0.0.1", 0);
        });
    }

    @AfterEach
    void tearDown() {
        agents.forEach(Agent::hangUp);
        on(gateway::close);
        vertx.close().await();
    }

    @Test
    void aCommand_reachesTheAgent_andCompletesWhenItAcknowledges() {
        Agent agent = connect("w1", true);

        Future<Void> sent = on(() -> Future.succeededFuture(directory.send("w1", stop("t1"))));

        await().atMost(Duration.ofSeconds(5)).until(sent::succeeded);
        assertThat(agent.received).singleElement().satisfies(c -> assertThat(c.getStop().getTaskId()).isEqualTo("t1"));
        assertThat(on(() -> Future.succeededFuture(directory.workers()))).singleElement()
                .satisfies(w -> assertThat(w.pendingCommands()).isZero());
    }

    @Test
    void aCommandTheAgentRefuses_failsWithItsReason() {
        connect("w1", false);

        Future<Void> sent = on(() -> Future.succeededFuture(directory.send("w1", stop("t1"))));

        await().atMost(Duration.ofSeconds(5)).until(sent::failed);
        assertThat(sent.cause()).isInstanceOf(CommandRejectedException.class).hasMessage("refused by the test");
    }

    @Test
    void aCommandForAnUnknownWorker_failsAtOnce() {
        Future<Void> sent = on(() -> Future.succeededFuture(directory.send("ghost", stop("t1"))));

        assertThat(sent.failed()).isTrue();
        assertThat(sent.cause()).hasMessageContaining("ghost");
    }

    @Test
    void aCommandSentWhileTheAgentIsAway_isDeliveredWhenItReconnects() {
        Agent first = connect("w1", true);
        first.hangUp();
        await().atMost(Duration.ofSeconds(5)).until(() -> !on(() -> Future.succeededFuture(
                directory.isConnected("w1"))));

        Future<Void> sent = on(() -> Future.succeededFuture(directory.send("w1", stop("t1"))));
        Agent back = connect("w1", true);

        await().atMost(Duration.ofSeconds(5)).until(sent::succeeded);
        assertThat(back.received).extracting(c -> c.getStop().getTaskId()).containsExactly("t1");
        assertThat(directory.reconnects()).isEqualTo(1);
        assertThat(events).doesNotContain("lost w1");
    }

    @Test
    void anAgentThatStaysAway_isLost_itsListenersTold_andItsPendingCommandsFail() {
        Agent agent = connect("w1", true);
        agent.hangUp();
        await().atMost(Duration.ofSeconds(5)).until(() -> directory.connectedCount() == 0);
        Future<Void> sent = on(() -> Future.succeededFuture(directory.send("w1", stop("t1"))));

        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("disconnected w1"));
        assertThat(on(() -> Future.succeededFuture(directory.candidate("w1")))).isEmpty();
        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("lost w1"));
        assertThat(sent.failed()).isTrue();
        assertThat(on(() -> Future.succeededFuture(directory.workers()))).isEmpty();
    }

    @Test
    void draining_takesTheWorkerOutOfPlacement_andTellsListeners() {
        connect("w1", true);

        assertThat(on(() -> Future.succeededFuture(directory.drain("w1", true)))).isTrue();
        assertThat(on(() -> Future.succeededFuture(directory.drain("ghost", true)))).isFalse();

        assertThat(on(() -> Future.succeededFuture(directory.candidate("w1")))).hasValueSatisfying(
                c -> assertThat(c.draining()).isTrue());
        assertThat(events).contains("connected w1", "changed w1");
    }

    @Test
    void aSecondStreamForTheSameWorker_replacesTheFirst() {
        Agent first = connect("w1", true);
        connect("w1", true);

        await().atMost(Duration.ofSeconds(5)).until(first.ended::isDone);
        assertThat(directory.connectedCount()).isEqualTo(1);
    }

    private static OrchestratorCommand.Builder stop(String taskId) {
        return OrchestratorCommand.newBuilder().setStop(StopServices.newBuilder().setTaskId(taskId)
                .setGeneration(1).setReason("test"));
    }

    /** Dials the gateway as {@code worker} and waits until the directory has its session. */
    private Agent connect(String worker, boolean accepts) {
        Agent agent = new Agent(worker, accepts);
        agents.add(agent);
        agent.dial().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).join();
        await().atMost(Duration.ofSeconds(5)).until(() -> events.stream().filter(e -> e.equals("connected " + worker))
                .count() == agents.stream().filter(a -> a.worker.equals(worker)).count());
        return agent;
    }

    /** Runs on the directory's context (it is used on one context only) and waits for the answer. */
    private <T> T on(Supplier<Future<T>> step) {
        CompletableFuture<T> done = new CompletableFuture<>();
        context.runOnContext(v -> step.get().onComplete((r, e) -> {
            if (e == null) {
                done.complete(r);
            } else {
                done.completeExceptionally(e);
            }
        }));
        try {
            return done.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A minimal agent: says Hello, acknowledges (or refuses) every command, records them. */
    private final class Agent {
        final String worker;
        final boolean accepts;
        final List<OrchestratorCommand> received = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        final GrpcClient client = GrpcClient.client(vertx);
        volatile GrpcClientRequest<AgentMessage, OrchestratorCommand> stream;

        Agent(String worker, boolean accepts) {
            this.worker = worker;
            this.accepts = accepts;
        }

        Future<Void> dial() {
            return client.request(SocketAddress.inetSocketAddress(port, "127.0.0.1"), AgentLinkGrpcClient.Connect)
                    .compose(request -> {
                        stream = request;
                        request.write(AgentMessage.newBuilder().setHello(Hello.newBuilder().setWorker(worker)
                                .addRuntimes("process").setCapacity(4)).build());
                        return request.response();
                    }).map(response -> {
                        response.handler(command -> {
                            received.add(command);
                            stream.write(AgentMessage.newBuilder().setAck(CommandAck.newBuilder()
                                    .setCommandId(command.getCommandId()).setAccepted(accepts)
                                    .setError(accepts ? "" : "refused by the test")).build());
                        });
                        response.endHandler(v -> ended.complete(null));
                        response.exceptionHandler(e -> ended.complete(null));
                        return null;
                    });
        }

        void hangUp() {
            var s = stream;
            stream = null;
            if (s != null) {
                try {
                    s.end();
                } catch (RuntimeException alreadyGone) {
                    // reset by the gateway
                }
            }
            client.close();
        }
    }
}
