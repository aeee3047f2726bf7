package io.berth.kafka.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node Kafka (KRaft, broker and controller in one process) running inside this JVM.
 *
 * <p>Used by {@code berth up} (the all-in-one stack) and by integration tests. Every replication factor
 * is 1 — with the defaults (3) consumer groups and transactions hang on one node — and the log cleaner's
 * dedupe buffer is small so the broker stays around 35 MB of heap.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *     kafka.createTopics(3, "my-topic");
 *     String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String BROKER_LISTENER = "PLAINTEXT";

    private final KafkaRaftServer server;
    private final Path logDir;
    private final boolean ownsLogDir;
    private final String bootstrapServers;
    private boolean closed;

    private EmbeddedKafka(KafkaRaftServer server, Path logDir, boolean ownsLogDir, String bootstrapServers) {
        this.server = server;
        this.logDir = logDir;
        this.ownsLogDir = ownsLogDir;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts a broker on a free loopback port with its data in a temporary directory removed on close. */
    public static EmbeddedKafka start() {
        return builder().start();
    }

    /** Starts a broker on a free loopback port keeping its data in {@code dir} (reused if already formatted). */
    public static EmbeddedKafka start(Path dir) {
        return builder().logDir(dir).start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code 127.0.0.1:port} of the broker listener. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The directory holding the broker's logs and metadata. */
    public Path logDir() {
        return logDir;
    }

    /** Creates the topics (if absent) with {@code partitions} partitions each and replication factor 1. */
    public void createTopics(int partitions, String... topics) {
        List<NewTopic> newTopics = Stream.of(topics).map(t -> new NewTopic(t, partitions, (short) 1)).toList();
        createTopics(newTopics);
    }

    /** Creates the given topics, ignoring those that already exist. */
    public void createTopics(List<NewTopic> topics) {
        try (Admin admin = admin()) {
            for (var entry : admin.createTopics(topics).values().entrySet()) {
                try {
                    entry.getValue().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /** A new admin client for this broker; the caller closes it. */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** Stops the broker and, when it created the log directory itself, deletes it. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        if (ownsLogDir) {
            deleteRecursively(logDir);
        }
    }

    /** Options: a fixed port and/or a log directory; anything else follows the single-node defaults. */
    public static final class Builder {
        private Path logDir;
        private int port;
        private final Map<String, String> overrides = new HashMap<>();

        private Builder() {}

        /** Where to keep data; a temporary directory (deleted on close) when unset. */
        public Builder logDir(Path dir) {
            this.logDir = dir;
            return this;
        }

        /** The broker port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Any broker property, e.g. {@code num.partitions}. */
        public Builder property(String name, String value) {
            overrides.put(name, value);
            return this;
        }

        /**
         * The given directory, its user's alone, as a temporary one is: the events kept there carry tasks' parameters
         * (their secrets), and Kafka makes its files readable by all, so any other user of the machine (a task's
         * service among them) could read every task's.
         */
        private static Path privateDirectory(Path dir) throws IOException {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            return dir;
        }

        public EmbeddedKafka start() {
            boolean ownsDir = logDir == null;
            Path dir;
            try {
                dir = ownsDir ? Files.createTempDirectory("berth-kafka-") : privateDirectory(logDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the Kafka log directory", e);
            }
            int[] free = freePorts(2);
            int brokerPort = port == 0 ? free[0] : port;
            int controllerPort = free[0] == brokerPort ? free[1] : free[0];
            Map<String, String> props = properties(dir, brokerPort, controllerPort);
            props.putAll(overrides);
            KafkaConfig config = new KafkaConfig(props, false);
            try {
                if (!Files.exists(dir.resolve("meta.properties"))) {
                    format(dir);
                }
                KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
                server.startup();
                return new EmbeddedKafka(server, dir, ownsDir, "127.0.0.1:" + brokerPort);
            } catch (Exception e) {
                if (ownsDir) {
                    deleteRecursively(dir);
                }
                throw new IllegalStateException("cannot start the embedded Kafka broker in " + dir, e);
            }
        }
    }

    private static Map<String, String> properties(Path dir, int brokerPort, int controllerPort) {
        Map<String, String> p = new HashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", BROKER_LISTENER + "://127.0.0.1:" + brokerPort + ","
                + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", BROKER_LISTENER + "://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", BROKER_LISTENER);
        p.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("metadata.log.dir", dir.toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
        p.put("auto.create.topics.enable", "false");
        // sized for the few clients of one machine, not Kafka's server defaults (3 network and 8 request threads):
        // each request is handed from a network thread to a request thread and back, and with fewer of them fewer
        // threads wake per request (README, Benchmarks)
        p.put("num.network.threads", "1");
        p.put("num.io.threads", "2");
        return p;
    }

    private static void format(Path dir) throws Exception {
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                .setClusterId(Uuid.randomUuid().toString())
                .setNodeId(NODE_ID)
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setMetadataLogDirectory(dir.toString())
                .addDirectory(dir.toString())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setIgnoreFormatted(true)
                .run();
    }

    /**
     * {@code n} distinct free loopback ports: each socket stays bound until all are picked, since a port is free again
     * once its socket closes and the next bind may be given the same one (the broker's and controller's listeners
     * then clashed).
     */
    private static int[] freePorts(int n) {
        ServerSocket[] sockets = new ServerSocket[n];
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                sockets[i] = new ServerSocket();
                sockets[i].setReuseAddress(true);
                sockets[i].bind(new InetSocketAddress("127.0.0.1", 0));
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        } finally {
            for (ServerSocket socket : sockets) {
                if (socket != null) {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // closing a listening socket that accepted nothing
                    }
                }
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover temp dir is harmless
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers + ", " + logDir + "]";
    }
}
