package io.berth.orchestrator;

import io.berth.orchestrator.api.AdminSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * How the orchestrator runs.
 *
 * @param bootstrapServers       Kafka
 * @param grpcHost               interface the agent gateway listens on
 * @param grpcPort               its port; 0 picks a free one (see {@link Orchestrator#grpcPort()})
 * @param placementWaitMillis    how long a task waits for its worker (or any worker with room) to connect
 * @param heartbeatTimeoutMillis an agent silent for longer is disconnected
 * @param agentLostMillis        a disconnected agent that does not reconnect within this is lost; its tasks fail
 * @param stopTimeoutMillis      after StopServices, how long to wait for every service's stopped event
 *                               before publishing released anyway
 * @param taskRetentionMillis    how long a released task is remembered (duplicates are ignored meanwhile)
 * @param topicPartitions        partitions of the Berth topics when the orchestrator creates them
 * @param groupId                Kafka consumer group shared by orchestrators
 * @param instance               this orchestrator's name, in its events' {@code source}
 *                               ({@code berth://orchestrator/<instance>})
 * @param admin                  the admin API and metrics endpoint
 * @param maxTaskLifetimeMillis  a task whose {@code task.ended} has not come this long after its {@code task.started}
 *                               gets {@code failed} (reason: the deadline) and its services are released; 0: never
 * @param groupSessionTimeoutMillis an instance that stops heartbeating to the consumer group (killed, frozen) loses
 *                               its partitions, and so its tasks, to the other instances after this long
 */
public record OrchestratorSettings(String bootstrapServers, String grpcHost, int grpcPort, long placementWaitMillis,
                                   long heartbeatTimeoutMillis, long agentLostMillis, long stopTimeoutMillis,
                                   long taskRetentionMillis, int topicPartitions, String groupId, String instance,
                                   AdminSettings admin, long maxTaskLifetimeMillis, long groupSessionTimeoutMillis) {
    /** 24 hours. */
    public static final long DEFAULT_MAX_TASK_LIFETIME_MILLIS = 86_400_000;
    /** Kafka's default, 45 s. */
    public static final long DEFAULT_GROUP_SESSION_TIMEOUT_MILLIS = 45_000;

    /** With the default maximum task lifetime and group session timeout. */
    public OrchestratorSettings(String bootstrapServers, String grpcHost, int grpcPort, long placementWaitMillis,
                                long heartbeatTimeoutMillis, long agentLostMillis, long stopTimeoutMillis,
                                long taskRetentionMillis, int topicPartitions, String groupId, String instance,
                                AdminSettings admin) {
        this(bootstrapServers, grpcHost, grpcPort, placementWaitMillis, heartbeatTimeoutMillis, agentLostMillis,
                stopTimeoutMillis, taskRetentionMillis, topicPartitions, groupId, instance, admin,
                DEFAULT_MAX_TASK_LIFETIME_MILLIS, DEFAULT_GROUP_SESSION_TIMEOUT_MILLIS);
    }

    public static final int DEFAULT_GRPC_PORT = 7700;
    public static final String DEFAULT_GROUP_ID = "berth-orchestrator";

    /**
     * Gateway on 0.0.0.0:7700, 30 s placement wait, 10 s heartbeat timeout, 10 s lost grace, 3 partitions, the admin
     * API on 127.0.0.1 at any free port without a token ({@link AdminSettings#LOOPBACK}).
     */
    public static OrchestratorSettings defaults(String bootstrapServers) {
        return new OrchestratorSettings(bootstrapServers, "0.0.0.0", DEFAULT_GRPC_PORT, 30_000, 10_000, 10_000,
                120_000, 3_600_000, 3, DEFAULT_GROUP_ID, hostName(), AdminSettings.LOOPBACK,
                DEFAULT_MAX_TASK_LIFETIME_MILLIS, DEFAULT_GROUP_SESSION_TIMEOUT_MILLIS);
    }

    public OrchestratorSettings withGrpc(String host, int port) {
        return new OrchestratorSettings(bootstrapServers, host, port, placementWaitMillis, heartbeatTimeoutMillis,
                agentLostMillis, stopTimeoutMillis, taskRetentionMillis, topicPartitions, groupId, instance, admin,
                maxTaskLifetimeMillis,
                groupSessionTimeoutMillis);
    }

    public OrchestratorSettings withGrpcPort(int port) {
        return withGrpc(grpcHost, port);
    }

    public OrchestratorSettings withPlacementWaitMillis(long millis) {
        return new OrchestratorSettings(bootstrapServers, grpcHost, grpcPort, millis, heartbeatTimeoutMillis,
                agentLostMillis, stopTimeoutMillis, taskRetentionMillis, topicPartitions, groupId, instance, admin,
                maxTaskLifetimeMillis,
                groupSessionTimeoutMillis);
    }

    public OrchestratorSettings withAgentTimeouts(long heartbeatTimeout, long lostGrace) {
        return new OrchestratorSettings(bootstrapServers, grpcHost, grpcPort, placementWaitMillis, heartbeatTimeout,
                lostGrace, stopTimeoutMillis, taskRetentionMillis, topicPartitions, groupId, instance, admin,
                maxTaskLifetimeMillis,
                groupSessionTimeoutMillis);
    }

    public OrchestratorSettings withStopTimeoutMillis(long millis) {
        return new OrchestratorSettings(bootstrapServers, grpcHost, grpcPort, placementWaitMillis,
                heartbeatTimeoutMillis, agentLostMillis, millis, taskRetentionMillis, topicPartitions, groupId,
                instance, admin, maxTaskLifetimeMillis,
                groupSessionTimeoutMillis);
    }

    public OrchestratorSettings withTopicPartitions(int partitions) {
        return new OrchestratorSettings(bootstrapServers, grpcHost, grpcPort, placementWaitMillis,
                heartbeatTimeoutMillis, agentLostMillis, stopTimeoutMillis, taskRetentionMillis, partitions, groupId,
                instance, admin, maxTaskLifetimeMillis,
                groupSessionTimeoutMillis);
    }

    public OrchestratorSettings withGroupId(String group) {
        return new OrchestratorSettings(bootstrapServers, grpcHost, grpcPort, placementWaitMillis,
                heartbeatTimeoutMillis, agentLostMillis, stopTimeoutMillis, taskRetentionMillis, topicPartitions, group,
                instance, admin, maxTaskLifetimeMillis,
                groupSessionTimeoutMillis);
    }

    public OrchestratorSettings withInstance(String name) {
        return new OrchestratorSettings(bootstrapServers, grpcHost, grpcPort, placementWaitMillis,
                heartbeatTimeoutMillis, agentLostMillis, stopTimeoutMillis, taskRetentionMillis, topicPartitions, groupId,
                name, admin, maxTaskLifetimeMillis,
                groupSessionTimeoutMillis);
    }

    public OrchestratorSettings withMaxTaskLifetimeMillis(long millis) {
        return new OrchestratorSettings(bootstrapServers, grpcHost, grpcPort, placementWaitMillis,
                heartbeatTimeoutMillis, agentLostMillis, stopTimeoutMillis, taskRetentionMillis, topicPartitions, groupId,
                instance, admin, millis, groupSessionTimeoutMillis);
    }

    public OrchestratorSettings withGroupSessionTimeoutMillis(long millis) {
        return new OrchestratorSettings(bootstrapServers, grpcHost, grpcPort, placementWaitMillis,
                heartbeatTimeoutMillis, agentLostMillis, stopTimeoutMillis, taskRetentionMillis, topicPartitions, groupId,
                instance, admin, maxTaskLifetimeMillis, millis);
    }

    public OrchestratorSettings withAdmin(AdminSettings value) {
        return new OrchestratorSettings(bootstrapServers, grpcHost, grpcPort, placementWaitMillis,
                heartbeatTimeoutMillis, agentLostMillis, stopTimeoutMillis, taskRetentionMillis, topicPartitions, groupId,
                instance, value, maxTaskLifetimeMillis,
                groupSessionTimeoutMillis);
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
        return "berth://orchestrator/" + groupId;
    }

    /** The CloudEvents extension attribute naming the instance that published an output. */
    public static final String INSTANCE_EXTENSION = "berthinstance";

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
