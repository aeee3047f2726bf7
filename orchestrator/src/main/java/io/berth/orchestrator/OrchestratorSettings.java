package io.berth.orchestrator;

import io.berth.orchestrator.api.AdminSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;

/**
 * How the orchestrator runs, in groups: Kafka, the agent gateway, timeouts, the admin API, and this instance's name.
 * Built with {@link #builder(String)}; {@link #defaults(String)} is the builder's defaults.
 *
 * <pre>{@code
 * OrchestratorSettings settings = OrchestratorSettings.builder("127.0.0.1:9092")
 *         .grpc("127.0.0.1", 0)
 *         .placementWait(Duration.ofSeconds(5))
 *         .build();
 * }</pre>
 *
 * @param instance this orchestrator's name, in its events' {@code source} ({@code berth://orchestrator/<instance>})
 */
public record OrchestratorSettings(Kafka kafka, Grpc grpc, Timeouts timeouts, AdminSettings admin, String instance) {
    public static final int DEFAULT_GRPC_PORT = 7700;
    public static final String DEFAULT_GROUP_ID = "berth-orchestrator";
    /** 24 hours. */
    public static final Duration DEFAULT_MAX_TASK_LIFETIME = Duration.ofHours(24);
    /** Kafka's default, 45 s. */
    public static final Duration DEFAULT_GROUP_SESSION_TIMEOUT = Duration.ofSeconds(45);
    /** The CloudEvents extension attribute naming the instance that published an output. */
    public static final String INSTANCE_EXTENSION = "berthinstance";

    public OrchestratorSettings {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(grpc, "grpc");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(admin, "admin (AdminSettings.NONE for none)");
        Objects.requireNonNull(instance, "instance");
    }

    /**
     * Kafka.
     *
     * @param topicPartitions     partitions of the Berth topics when the orchestrator creates them
     * @param groupId             the consumer group orchestrators share
     * @param groupSessionTimeout an instance that stops heartbeating to the group (killed, frozen) loses its
     *                            partitions, and so its tasks, to the other instances after this long
     */
    public record Kafka(String bootstrapServers, String groupId, int topicPartitions, Duration groupSessionTimeout) {
        public Kafka {
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            Objects.requireNonNull(groupId, "groupId");
            if (topicPartitions < 1) {
                throw new IllegalArgumentException("topicPartitions must be at least 1, not " + topicPartitions);
            }
            positive("groupSessionTimeout", groupSessionTimeout);
        }
    }

    /**
     * The agent gateway.
     *
     * @param host interface it listens on
     * @param port its port; 0 picks a free one (see {@link Orchestrator#grpcPort()})
     */
    public record Grpc(String host, int port) {}

    /**
     * How long things may take.
     *
     * @param placementWait    how long a task waits for its worker (or any worker with room) to connect
     * @param heartbeatTimeout an agent silent for longer is disconnected
     * @param agentLost        a disconnected agent that does not reconnect within this is lost; its tasks fail
     * @param stopTimeout      after StopServices, how long to wait for every service's stopped event before
     *                         publishing released anyway
     * @param taskRetention    how long a released task is remembered (duplicates are ignored meanwhile)
     * @param maxTaskLifetime  a task whose {@code task.ended} has not come this long after its {@code task.started}
     *                         gets {@code failed} (reason: the deadline) and its services are released; zero: never
     */
    public record Timeouts(Duration placementWait, Duration heartbeatTimeout, Duration agentLost,
                           Duration stopTimeout, Duration taskRetention, Duration maxTaskLifetime) {
        public Timeouts {
            notNegative("placementWait", placementWait);
            positive("heartbeatTimeout", heartbeatTimeout);
            notNegative("agentLost", agentLost);
            positive("stopTimeout", stopTimeout);
            positive("taskRetention", taskRetention);
            notNegative("maxTaskLifetime", maxTaskLifetime);
        }
    }

    /**
     * Gateway on 0.0.0.0:7700, 30 s placement wait, 10 s heartbeat timeout, 10 s lost grace, 120 s stop timeout, 1 h
     * retention, 24 h maximum lifetime, 3 partitions, the admin API on 127.0.0.1 at any free port without a token
     * ({@link AdminSettings#LOOPBACK}).
     */
    public static OrchestratorSettings defaults(String bootstrapServers) {
        return builder(bootstrapServers).build();
    }

    /** A builder starting from {@link #defaults}. */
    public static Builder builder(String bootstrapServers) {
        return new Builder(bootstrapServers);
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** {@code berth://orchestrator/<instance>}. */
    public String eventSource() {
        return "berth://orchestrator/" + instance;
    }

    /**
     * {@code berth://orchestrator/<group id>}: the source of the events about tasks' services, the same for every
     * instance of the group, since any of them may publish a task's output (again, after a failover); which one did
     * is in the {@value #INSTANCE_EXTENSION} attribute.
     */
    public String outputSource() {
        return "berth://orchestrator/" + kafka.groupId();
    }

    /** Builds {@link OrchestratorSettings}; every setter has a default. */
    public static final class Builder {
        private String bootstrapServers;
        private String groupId = DEFAULT_GROUP_ID;
        private int topicPartitions = 3;
        private Duration groupSessionTimeout = DEFAULT_GROUP_SESSION_TIMEOUT;
        private String grpcHost = "0.0.0.0";
        private int grpcPort = DEFAULT_GRPC_PORT;
        private Duration placementWait = Duration.ofSeconds(30);
        private Duration heartbeatTimeout = Duration.ofSeconds(10);
        private Duration agentLost = Duration.ofSeconds(10);
        private Duration stopTimeout = Duration.ofSeconds(120);
        private Duration taskRetention = Duration.ofHours(1);
        private Duration maxTaskLifetime = DEFAULT_MAX_TASK_LIFETIME;
        private AdminSettings admin = AdminSettings.LOOPBACK;
        private String instance;

        private Builder(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
        }

        private Builder(OrchestratorSettings s) {
            this(s.kafka().bootstrapServers());
            groupId = s.kafka().groupId();
            topicPartitions = s.kafka().topicPartitions();
            groupSessionTimeout = s.kafka().groupSessionTimeout();
            grpcHost = s.grpc().host();
            grpcPort = s.grpc().port();
            placementWait = s.timeouts().placementWait();
            heartbeatTimeout = s.timeouts().heartbeatTimeout();
            agentLost = s.timeouts().agentLost();
            stopTimeout = s.timeouts().stopTimeout();
            taskRetention = s.timeouts().taskRetention();
            maxTaskLifetime = s.timeouts().maxTaskLifetime();
            admin = s.admin();
            instance = s.instance();
        }

        public Builder grpc(String host, int port) {
            this.grpcHost = host;
            this.grpcPort = port;
            return this;
        }

        public Builder grpcPort(int port) {
            this.grpcPort = port;
            return this;
        }

        public Builder topicPartitions(int partitions) {
            this.topicPartitions = partitions;
            return this;
        }

        public Builder groupId(String group) {
            this.groupId = group;
            return this;
        }

        public Builder groupSessionTimeout(Duration timeout) {
            this.groupSessionTimeout = timeout;
            return this;
        }

        public Builder placementWait(Duration wait) {
            this.placementWait = wait;
            return this;
        }

        /** An agent silent for {@code heartbeatTimeout} is disconnected, and lost after {@code lostGrace} more. */
        public Builder agentTimeouts(Duration heartbeatTimeout, Duration lostGrace) {
            this.heartbeatTimeout = heartbeatTimeout;
            this.agentLost = lostGrace;
            return this;
        }

        public Builder stopTimeout(Duration timeout) {
            this.stopTimeout = timeout;
            return this;
        }

        public Builder taskRetention(Duration retention) {
            this.taskRetention = retention;
            return this;
        }

        /** Zero: tasks may live forever. */
        public Builder maxTaskLifetime(Duration lifetime) {
            this.maxTaskLifetime = lifetime;
            return this;
        }

        /** {@link AdminSettings#NONE}: no admin API. */
        public Builder admin(AdminSettings settings) {
            this.admin = settings;
            return this;
        }

        /** This instance's name; the host name when not set. */
        public Builder instance(String name) {
            this.instance = name;
            return this;
        }

        public OrchestratorSettings build() {
            return new OrchestratorSettings(
                    new Kafka(bootstrapServers, groupId, topicPartitions, groupSessionTimeout),
                    new Grpc(grpcHost, grpcPort),
                    new Timeouts(placementWait, heartbeatTimeout, agentLost, stopTimeout, taskRetention,
                            maxTaskLifetime),
                    admin, instance != null ? instance : hostName());
        }
    }

    private static void positive(String name, Duration value) {
        notNegative(name, value);
        if (value.isZero()) {
            throw new IllegalArgumentException(name + " must be longer than zero");
        }
    }

    private static void notNegative(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, not " + value);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
