package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.agent.AgentSettings;
import io.berth.agent.boot.WorkerAgent;
import io.berth.agent.link.LinkSettings;
import io.berth.cli.certs.CertificateAuthority;
import io.berth.events.TlsFiles;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.protocol.AgentLinkGrpcClient;
import io.berth.protocol.AgentMessage;
import io.berth.protocol.Hello;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 1, attacked with real gRPC clients and real agents against a stack whose gateway speaks mutual TLS
 * (what {@code berth up} and {@code berth run} set up by themselves): no certificate, a certificate from another CA,
 * and a valid certificate used to claim another worker's name all fail — the agent is told why — and the real
 * worker keeps its session; an agent with its own certificate joins.
 */
class AgentAuthenticationTest {
    private static final String WORKER = "auth-worker";
    private static EmbeddedStack stack;
    private static Vertx vertx;

    @TempDir
    Path dir;

    @BeforeAll
    static void startStack() {
        stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, WORKER, -1, null, -1), null);
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopStack() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (stack != null) {
            TestStacks.close(stack);
        }
    }

    private static List<WorkerInfo> workers() throws Exception {
        return stack.orchestrator().queries().workers().toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    private static WorkerInfo realWorker() throws Exception {
        return workers().stream().filter(w -> w.worker().equals(WORKER)).findFirst().orElseThrow();
    }

    @Test
    void aClientWithoutACertificate_cannotRegister_evenWithTheRightCa() throws Exception {
        assertRogueHelloRefused(GrpcClient.client(vertx, new HttpClientOptions().setSsl(true).setUseAlpn(true)
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setTrustOptions(new PemTrustOptions().addCertPath(stack.certificateAuthority().caCertificate()
                        .toString()))));
    }

    /** The issue's attack: a client says it is rogue-worker with capacity 1000; it must never be registered. */
    private static void assertRogueHelloRefused(GrpcClient client) throws Exception {
        try {
            Throwable failure = client.request(SocketAddress.inetSocketAddress(stack.grpcPort(), "127.0.0.1"),
                            AgentLinkGrpcClient.Connect)
                    .compose(request -> {
                        request.write(AgentMessage.newBuilder().setHello(Hello.newBuilder().setWorker("rogue-worker")
                                .setCapacity(1000)).build());
                        return request.response();
                    })
                    .toCompletionStage().toCompletableFuture().handle((ok, error) -> error)
                    .get(30, TimeUnit.SECONDS);
            assertThat(failure).as("the stream must not be accepted").isNotNull();
            assertThat(workers()).noneMatch(w -> w.worker().equals("rogue-worker"));
        } finally {
            client.close();
        }
    }

    @Test
    void aPlaintextClient_cannotRegister() throws Exception {
        assertRogueHelloRefused(GrpcClient.client(vertx));
    }

    @Test
    void anAgentWithACertificateFromAnotherCa_isRefused_andToldWhy() throws Exception {
        TlsFiles rogue = CertificateAuthority.openOrCreate(dir.resolve("rogue-ca")).issueAgent("rogue-worker");
        // it trusts the real CA (it can see the orchestrator's certificate), but its own is signed by another
        TlsFiles files = new TlsFiles(stack.certificateAuthority().caCertificate(), rogue.cert(), rogue.key());
        WorkerAgent agent = agent("rogue-worker", files);
        try {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.link().lastRefusal() != null);
            assertThat(agent.link().lastRefusal()).contains("TLS handshake failed");
            assertThat(workers()).noneMatch(w -> w.worker().equals("rogue-worker"));
        } finally {
            stop(agent);
        }
    }

    @Test
    void aValidCertificate_cannotClaimAnotherWorkersName_andTheRealWorkerKeepsItsSession() throws Exception {
        WorkerInfo before = realWorker();
        TlsFiles other = stack.certificateAuthority().issueAgent("other-worker");
        WorkerAgent impostor = agent(WORKER, other); // says it is auth-worker, holds other-worker's certificate
        try {
            impostor.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> impostor.link().lastRefusal() != null);
            assertThat(impostor.link().lastRefusal()).contains("PERMISSION_DENIED")
                    .contains("certificate is for worker 'other-worker'").contains("'" + WORKER + "'");
            WorkerInfo after = realWorker();
            assertThat(after.connected()).isTrue();
            assertThat(after.connectedAtMillis()).as("the real worker's session stays").isEqualTo(
                    before.connectedAtMillis());
            assertThat(workers()).noneMatch(w -> w.worker().equals("other-worker"));
        } finally {
            stop(impostor);
        }
    }

    @Test
    void anAgentWithItsOwnCertificate_joins() throws Exception {
        WorkerAgent second = agent("second-worker", stack.certificateAuthority().issueAgent("second-worker"));
        try {
            second.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> workers().stream()
                    .anyMatch(w -> w.worker().equals("second-worker") && w.connected()));
            assertThat(second.link().lastRefusal()).isNull();
        } finally {
            stop(second);
        }
    }

    private WorkerAgent agent(String worker, TlsFiles files) {
        return new WorkerAgent(vertx, AgentSettings.defaults(worker).withStateDir(dir.resolve("state-" + worker)),
                LinkSettings.of("127.0.0.1", stack.grpcPort()).withTls(files), stack.bootstrapServers());
    }

    private static void stop(WorkerAgent agent) throws Exception {
        agent.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
}
