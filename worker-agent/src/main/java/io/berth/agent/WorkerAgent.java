package io.berth.agent;

import io.berth.agent.link.AgentCommands;
import io.berth.agent.link.LinkSettings;
import io.berth.agent.link.OrchestratorLink;
import io.berth.agent.supervisor.AgentSettings;
import io.berth.agent.supervisor.Supervisor;
import io.berth.events.EventCodec;
import io.berth.protocol.Hello;
import io.berth.protocol.RunningTask;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A worker agent: links to the orchestrator over gRPC, runs the services it is told to run and
 * reports their lifecycle to Kafka.
 */
public final class WorkerAgent {
    private final Vertx vertx;
    private final AgentSettings settings;
    private final LinkSettings link;
    private final String bootstrapServers;

    private Supervisor supervisor;
    private Producer<String, byte[]> producer;
    private OrchestratorLink orchestrator;

    public WorkerAgent(Vertx vertx, AgentSettings settings, LinkSettings link, String bootstrapServers) {
        this.vertx = vertx;
        this.settings = settings;
        this.link = link;
        this.bootstrapServers = bootstrapServers;
    }

    /** Completes once the agent has said hello to the orchestrator. */
    public Future<Void> start() {
        supervisor = new Supervisor(vertx, settings);
        producer = new KafkaProducer<>(producerConfig(bootstrapServers, "berth-agent-" + settings.workerName()));
        var codec = new EventCodec("berth://agent/" + settings.workerName());
        var commands = new AgentCommands(supervisor, producer, codec, settings.workerName());
        orchestrator = new OrchestratorLink(vertx, link, this::hello, supervisor::activeServices, commands);
        return orchestrator.start();
    }

    /** Releases every service (SIGTERM, grace, SIGKILL), then closes the link and the producer. */
    public Future<Void> stop() {
        Future<Void> services = supervisor == null ? Future.succeededFuture() : supervisor.stopAll();
        return services.eventually(() -> orchestrator == null ? Future.succeededFuture() : orchestrator.stop())
                .eventually(() -> vertx.executeBlocking(() -> {
                    if (producer != null) {
                        producer.close(Duration.ofSeconds(5));
                    }
                    return null;
                }))
                .mapEmpty();
    }

    public Supervisor supervisor() {
        return supervisor;
    }

    public OrchestratorLink link() {
        return orchestrator;
    }

    private Hello hello() {
        var hello = Hello.newBuilder()
                .setWorker(settings.workerName())
                .addRuntimes("process")
                .setCapacity(settings.capacity())
                .setNetworkModes(settings.defaultNetworkMode());
        for (String taskId : supervisor.activeTaskIds()) {
            hello.addInventory(RunningTask.newBuilder().setTaskId(taskId));
        }
        return hello.build();
    }

    static Properties producerConfig(String bootstrapServers, String clientId) {
        var props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return props;
    }
}
