package io.berth.loadtest.scale;

import io.berth.agent.link.LinkSettings;
import io.berth.cli.certs.CertificateAuthority;
import io.berth.events.TlsFiles;
import io.berth.events.Topics;
import io.berth.kafka.embedded.EmbeddedKafka;
import io.berth.loadtest.fleet.SimulatedFleet;
import io.berth.orchestrator.BerthTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.admin.LogDirDescription;

/**
 * Kafka in this JVM, K orchestrator instances in processes of their own (one consumer group) and a fleet of
 * simulated agents, each linked to every instance over mutual TLS with a certificate of the stack's own CA.
 * Instance slots keep their gRPC port, so a replacement of a killed instance is found where the agents dial.
 */
final class ScaleStack implements AutoCloseable {
    private final EmbeddedKafka kafka;
    private final CertificateAuthority ca;
    private final OrchestratorProcess.Settings settings;
    private final Path logDir;
    private final List<Integer> grpcPorts = new ArrayList<>();
    private final List<OrchestratorProcess> instances = new ArrayList<>();
    private final List<String> firstJavaOptions;
    private SimulatedFleet fleet;
    private int started;

    private ScaleStack(EmbeddedKafka kafka, CertificateAuthority ca, OrchestratorProcess.Settings settings,
                       Path logDir, List<String> firstJavaOptions) {
        this.kafka = kafka;
        this.ca = ca;
        this.settings = settings;
        this.logDir = logDir;
        this.firstJavaOptions = firstJavaOptions;
    }

    /**
     * What to start.
     *
     * @param firstJavaOptions JVM options for the first slot's instances only (a flight recording)
     */
    record Options(int orchestrators, int partitions, long sessionTimeoutMillis, List<String> javaOptions,
                   List<String> firstJavaOptions, List<SimulatedFleet.Worker> workers, long readyDelayMillis,
                   long heartbeatMillis, Path logDir, Path caDir) {}

    /** The admin API token of the stack's instances (they only listen on loopback). */
    static final String API_TOKEN = "scale-test-" + Long.toHexString(new java.security.SecureRandom().nextLong());

    static ScaleStack start(Options o) {
        int orchestrators = o.orchestrators();
        int partitions = o.partitions();
        Path logDir = o.logDir();
        EmbeddedKafka kafka = EmbeddedKafka.start();
        ScaleStack stack = null;
        try {
            // the CA (and the agents' certificates) outlive the run, in the build directory: see SimulatedFleet
            CertificateAuthority ca = CertificateAuthority.openOrCreate(o.caDir());
            TlsFiles server = ca.issueOrchestrator(List.of("127.0.0.1", "localhost"));
            BerthTopics.ensure(kafka.bootstrapServers(), partitions);
            stack = new ScaleStack(kafka, ca, new OrchestratorProcess.Settings(kafka.bootstrapServers(), server,
                    partitions, o.sessionTimeoutMillis(), o.javaOptions(), API_TOKEN), logDir, o.firstJavaOptions());
            for (int i = 0; i < orchestrators; i++) {
                int port;
                do { // a port is free again once its probe socket closes: the next pick may be the same one
                    port = freePort();
                } while (stack.grpcPorts.contains(port));
                stack.grpcPorts.add(port);
                stack.instances.add(stack.launch(i));
            }
            List<LinkSettings.Address> addresses = stack.grpcPorts.stream()
                    .map(p -> new LinkSettings.Address("127.0.0.1", p)).toList();
            stack.fleet = SimulatedFleet.start(new SimulatedFleet.Settings(o.workers(), o.readyDelayMillis(),
                    o.heartbeatMillis(), addresses), ca, kafka.bootstrapServers(), Duration.ofMinutes(10));
            return stack;
        } catch (IOException e) {
            if (stack != null) {
                stack.close();
            } else {
                kafka.close();
            }
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            if (stack != null) {
                stack.close();
            } else {
                kafka.close();
            }
            throw e;
        }
    }

    /**
     * Like {@link #replace}, but returns once the new instance's admin API answers, before it restored anything;
     * {@link OrchestratorProcess#awaitServing} waits for the rest.
     */
    OrchestratorProcess replaceAnswering(int slot) {
        OrchestratorProcess next = launch(slot, false);
        instances.set(slot, next);
        return next;
    }

    private OrchestratorProcess launch(int slot) {
        return launch(slot, true);
    }

    private OrchestratorProcess launch(int slot, boolean untilServing) {
        var s = settings;
        if (slot == 0 && !firstJavaOptions.isEmpty()) {
            List<String> options = new ArrayList<>(s.javaOptions());
            options.addAll(firstJavaOptions);
            s = new OrchestratorProcess.Settings(s.bootstrapServers(), s.tls(), s.partitions(), s.sessionTimeoutMillis(),
                    options, s.apiToken());
        }
        started++;
        boolean replacement = instances.size() > slot;
        String name = "orchestrator-" + slot + (replacement ? "-r" + started : "");
        return untilServing ? OrchestratorProcess.start(name, grpcPorts.get(slot), s, logDir, Duration.ofMinutes(2))
                : OrchestratorProcess.spawn(name, grpcPorts.get(slot), s, logDir, Duration.ofMinutes(2));
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    SimulatedFleet fleet() {
        return fleet;
    }

    List<OrchestratorProcess> instances() {
        return List.copyOf(instances);
    }

    List<OrchestratorProcess> alive() {
        return instances.stream().filter(OrchestratorProcess::isAlive).toList();
    }

    /** SIGKILLs the instance in {@code slot}. */
    OrchestratorProcess kill(int slot) {
        OrchestratorProcess victim = instances.get(slot);
        victim.kill();
        return victim;
    }

    /** SIGTERMs the instance in {@code slot} (a graceful leave: it hands its partitions over). */
    OrchestratorProcess stop(int slot) {
        OrchestratorProcess leaving = instances.get(slot);
        leaving.close();
        return leaving;
    }

    /** Starts a new instance in {@code slot} (after {@link #kill} or {@link #stop}), on the slot's gRPC port. */
    OrchestratorProcess replace(int slot) {
        OrchestratorProcess next = launch(slot);
        instances.set(slot, next);
        return next;
    }

    /** Stops (or resumes) placing tasks on {@code worker}, on every live instance (each keeps its own list). */
    void drain(String worker, boolean draining) {
        alive().forEach(p -> p.drain(worker, draining, API_TOKEN));
    }

    /** Tasks held by the live instances. */
    int activeTasks() {
        int sum = 0;
        for (OrchestratorProcess p : alive()) {
            try {
                sum += p.activeTasks();
            } catch (RuntimeException e) {
                // starting or stopping: holds nothing that counts yet
            }
        }
        return sum;
    }

    double cpuMillis() {
        return instances.stream().mapToDouble(OrchestratorProcess::cpuMillis).filter(d -> !Double.isNaN(d)).sum();
    }

    /** Bytes of the state topic on the broker's disk (all partitions). */
    long stateTopicBytes() {
        try (Admin admin = kafka.admin()) {
            int node = admin.describeCluster().nodes().get().iterator().next().id();
            long bytes = 0;
            for (LogDirDescription dir : admin.describeLogDirs(List.of(node)).allDescriptions().get().get(node)
                    .values()) {
                for (var e : dir.replicaInfos().entrySet()) {
                    if (e.getKey().topic().equals(Topics.ORCHESTRATOR_STATE)) {
                        bytes += e.getValue().size();
                    }
                }
            }
            return bytes;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the state topic's size: " + e, e);
        }
    }

    /** Records ever written to the state topic (its partitions' end offsets: compaction does not lower them). */
    long stateTopicRecords() {
        try (Admin admin = kafka.admin()) {
            var partitions = admin.describeTopics(List.of(Topics.ORCHESTRATOR_STATE)).allTopicNames().get()
                    .get(Topics.ORCHESTRATOR_STATE).partitions();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(p -> latest.put(new TopicPartition(Topics.ORCHESTRATOR_STATE, p.partition()),
                    OffsetSpec.latest()));
            long records = 0;
            for (var offset : admin.listOffsets(latest).all().get().values()) {
                records += offset.offset();
            }
            return records;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the state topic's end offsets: " + e, e);
        }
    }

    @Override
    public void close() {
        if (fleet != null) {
            fleet.close();
        }
        instances.forEach(OrchestratorProcess::close);
        kafka.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
