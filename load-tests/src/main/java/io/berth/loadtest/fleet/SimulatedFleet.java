package io.berth.loadtest.fleet;

import io.berth.agent.link.KafkaSender;
import io.berth.agent.link.LinkSettings;
import io.berth.agent.link.OrchestratorLink;
import io.berth.cli.certs.CertificateAuthority;
import io.berth.events.TlsFiles;
import io.berth.loadtest.generator.Producers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Many {@link SimulatedAgent}s in this JVM, each with a client certificate of its own (its worker name as common
 * name, from the deployment's CA, as {@code berth certs} makes them; kept in the CA's directory for the next run) and one real {@link OrchestratorLink} per
 * orchestrator instance, like the real agent. Their events share one Kafka producer.
 */
public final class SimulatedFleet implements AutoCloseable {
    /** The shape of one worker: its name and capacity (services; 0: unlimited). */
    public record Worker(String name, int capacity) {}

    /**
     * @param readyDelayMillis how long after StartServices each service is reported ready
     * @param heartbeatMillis  the links' heartbeat interval (the real agent's default is 2 s)
     */
    public record Settings(List<Worker> workers, long readyDelayMillis, long heartbeatMillis,
                           List<LinkSettings.Address> orchestrators) {}

    private final Vertx vertx;
    private final KafkaSender sender;
    private final List<SimulatedAgent> agents = new ArrayList<>();
    private final List<OrchestratorLink> links = new ArrayList<>();
    private long certificateNanos;
    private long startNanos;

    private SimulatedFleet(Vertx vertx, KafkaSender sender) {
        this.vertx = vertx;
        this.sender = sender;
    }

    /** Issues the workers' certificates, dials every orchestrator from every worker and waits until all are linked. */
    public static SimulatedFleet start(Settings settings, CertificateAuthority ca, String bootstrapServers,
                                       Duration timeout) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        var fleet = new SimulatedFleet(vertx, new KafkaSender(new KafkaProducer<>(producerConfig(bootstrapServers)),
                "simulated-agents-sender"));
        try {
            long t0 = System.nanoTime();
            long deadline = t0 + timeout.toNanos();
            List<Future<Void>> linked = new ArrayList<>();
            Semaphore dialing = new Semaphore(DIALS_AT_ONCE);
            for (Worker w : settings.workers()) {
                long c0 = System.nanoTime();
                TlsFiles tls = certificate(ca, w.name());
                fleet.certificateNanos += System.nanoTime() - c0;
                var agent = new SimulatedAgent(w.name(), w.capacity(), settings.readyDelayMillis(), vertx, fleet.sender);
                fleet.agents.add(agent);
                for (LinkSettings.Address address : settings.orchestrators()) {
                    var link = new OrchestratorLink(vertx, new LinkSettings(List.of(address), settings.heartbeatMillis(),
                            100, 2_000, tls), agent::hello, agent::activeServices, agent);
                    fleet.links.add(link);
                    if (!dialing.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        throw new java.util.concurrent.TimeoutException("links still dialing at the deadline");
                    }
                    linked.add(link.start().onComplete(ar -> dialing.release()));
                }
            }
            Future.all(linked).toCompletionStage().toCompletableFuture()
                    .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            fleet.startNanos = System.nanoTime() - t0;
            return fleet;
        } catch (Exception e) {
            fleet.close();
            throw new IllegalStateException("the simulated agents did not all link to the orchestrators within "
                    + timeout.toSeconds() + " s: " + e, e);
        }
    }

    /**
     * The worker's certificate from an earlier run with the same CA, or a new one: a thousand EC keys and signatures
     * take a minute on a busy two-core machine.
     */
    private static TlsFiles certificate(CertificateAuthority ca, String worker) {
        var crt = ca.dir().resolve("agent-" + worker + ".crt");
        var key = ca.dir().resolve("agent-" + worker + ".key");
        if (java.nio.file.Files.isRegularFile(crt) && java.nio.file.Files.isRegularFile(key)) {
            return new TlsFiles(ca.caCertificate(), crt, key);
        }
        return ca.issueAgent(worker);
    }

    /**
     * Links dialing at once: an orchestrator's gateway does its TLS handshakes on one event loop, and
     * thousands at once would pass its 10 s handshake timeout on a small machine. Real agents start one by one.
     */
    private static final int DIALS_AT_ONCE = 50;

    private static Properties producerConfig(String bootstrapServers) {
        return Producers.properties(bootstrapServers, "simulated-agents", 0);
    }

    /** How long the start took, and how much of it went to issuing the certificates. */
    public String startTimes() {
        return String.format(java.util.Locale.ROOT, "%d links up in %d ms, %d ms of it issuing certificates",
                links.size(), startNanos / 1_000_000, certificateNanos / 1_000_000);
    }

    public List<SimulatedAgent> agents() {
        return List.copyOf(agents);
    }

    public List<SimulatedAgent.Stats> stats() {
        return agents.stream().map(SimulatedAgent::stats).toList();
    }

    /** Services running on all workers now. */
    public int activeServices() {
        return agents.stream().mapToInt(a -> a.stats().activeServices()).sum();
    }

    /** StartServices refused by a worker because it would have gone past its capacity, over all workers. */
    public long capacityRefusals() {
        return agents.stream().mapToLong(a -> a.stats().capacityRefusals()).sum();
    }

    /** How many times the links redialed (a broken stream, an orchestrator gone). */
    public int reconnects() {
        return links.stream().mapToInt(OrchestratorLink::reconnects).sum();
    }

    @Override
    public void close() {
        try {
            Future.join(links.stream().map(OrchestratorLink::stop).toList())
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        sender.close(Duration.ofSeconds(5));
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
    }
}
