package io.berth.orchestrator.support;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.json.Json;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.protocol.AgentLinkGrpcClient;
import io.berth.protocol.AgentMessage;
import io.berth.protocol.CommandAck;
import io.berth.protocol.Heartbeat;
import io.berth.protocol.Hello;
import io.berth.protocol.OrchestratorCommand;
import io.berth.protocol.RunningTask;
import io.berth.protocol.ServiceSpec;
import io.berth.protocol.StartServices;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A stand-in worker agent for orchestrator tests: it speaks the real gRPC protocol to the real gateway
 * and publishes real service events to the real broker, but runs nothing. On StartServices each service
 * becomes ready at once on its configured ports, or fails when its config has {@code params.FAKE_FAIL};
 * on StopServices each reports stopped with {@code params.FAKE_SIGNAL} (default SIGTERM).
 */
public final class FakeAgent implements AutoCloseable {
    private final Vertx vertx;
    private final String worker;
    private final int port;
    private final int capacity;
    private final Producer<String, byte[]> producer;
    private final EventCodec codec;
    private final GrpcClient client;
    private final List<OrchestratorCommand> commands = new CopyOnWriteArrayList<>();
    private final Map<String, Map<String, JsonNode>> started = new ConcurrentHashMap<>();
    private final Promise<Void> streamEnded = Promise.promise();
    private volatile GrpcClientRequest<AgentMessage, OrchestratorCommand> stream;
    private volatile boolean silent;
    private long heartbeats = -1;

    public FakeAgent(Vertx vertx, String worker, int orchestratorPort, String bootstrapServers, int capacity) {
        this.vertx = vertx;
        this.worker = worker;
        this.port = orchestratorPort;
        this.capacity = capacity;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
        this.codec = new EventCodec("berth://agent/" + worker);
        this.client = GrpcClient.client(vertx);
    }

    /** Pretends the agent already runs {@code services} of the task (reported in its Hello inventory). */
    public FakeAgent running(String taskId, String... services) {
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        for (String service : services) {
            byName.put(service, Json.MAPPER.createObjectNode());
        }
        started.put(taskId, byName);
        return this;
    }

    /** Dials, says Hello and starts heartbeating; completes once the orchestrator answered with headers. */
    public Future<Void> connect() {
        return client.request(SocketAddress.inetSocketAddress(port, "127.0.0.1"), AgentLinkGrpcClient.Connect)
                .compose(request -> {
                    stream = request;
                    Hello.Builder hello = Hello.newBuilder().setWorker(worker).addRuntimes("process")
                            .setCapacity(capacity).setNetworkModes("namespace,host");
                    started.forEach((task, services) -> hello.addInventory(RunningTask.newBuilder()
                            .setTaskId(task).setGeneration(1).addAllServices(services.keySet())));
                    request.write(AgentMessage.newBuilder().setHello(hello).build());
                    heartbeats = vertx.setPeriodic(200, id -> {
                        if (!silent && stream == request) {
                            request.write(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()
                                    .setSentAtMillis(System.currentTimeMillis())
                                    .setActiveServices(activeServices())).build());
                        }
                    });
                    return request.response();
                })
                .onSuccess(this::listen)
                .mapEmpty();
    }

    /** Stops heartbeating (the stream stays open), as a hung agent would. */
    public void goSilent() {
        silent = true;
    }

    public String worker() {
        return worker;
    }

    public List<OrchestratorCommand> commands() {
        return commands;
    }

    public List<StartServices> starts(String taskId) {
        return commands.stream().filter(OrchestratorCommand::hasStart).map(OrchestratorCommand::getStart)
                .filter(s -> s.getTaskId().equals(taskId)).toList();
    }

    public long stops(String taskId) {
        return commands.stream().filter(c -> c.hasStop() && c.getStop().getTaskId().equals(taskId)).count();
    }

    /** Completes when the orchestrator ended this agent's stream (e.g. replaced by a newer one). */
    public Future<Void> streamEnded() {
        return streamEnded.future();
    }

    private void listen(GrpcClientResponse<AgentMessage, OrchestratorCommand> response) {
        response.handler(this::onCommand);
        response.endHandler(v -> streamEnded.tryComplete());
        response.exceptionHandler(e -> streamEnded.tryComplete());
    }

    private final Map<String, Long> commandArrivals = new ConcurrentHashMap<>();

    private final Map<String, Long> lastReadySent = new ConcurrentHashMap<>();

    /** System.nanoTime() just before the task's last service.ready was handed to the producer. */
    public Long lastReadySentAtNanos(String taskId) {
        return lastReadySent.get(taskId);
    }

    /** System.nanoTime() when StartServices for the task arrived. */
    public Long startArrivedAtNanos(String taskId) {
        return commandArrivals.get(taskId);
    }

    private void onCommand(OrchestratorCommand command) {
        if (command.hasStart()) {
            commandArrivals.putIfAbsent(command.getStart().getTaskId(), System.nanoTime());
        }
        commands.add(command);
        stream.write(AgentMessage.newBuilder().setAck(CommandAck.newBuilder()
                .setCommandId(command.getCommandId()).setAccepted(true)).build());
        if (command.hasStart()) {
            start(command.getStart());
        } else if (command.hasStop()) {
            stop(command.getStop().getTaskId(), command.getStop().getGeneration());
        }
    }

    private void start(StartServices start) {
        String task = start.getTaskId();
        if (started.containsKey(task)) {
            return; // idempotent, like the real agent
        }
        Map<String, JsonNode> services = new LinkedHashMap<>();
        started.put(task, services);
        NetworkSpec network = new NetworkSpec("namespace", "/run/netns/berth-" + task);
        for (ServiceSpec spec : start.getServicesList()) {
            JsonNode config = readTree(spec.getConfigJson());
            services.put(spec.getName(), config);
            long now = System.currentTimeMillis();
            publish(EventTypes.SERVICE_STARTING, task,
                    new ServiceStarting(task, spec.getName(), worker, start.getGeneration(), 4242L));
            String failure = config.path("params").path("FAKE_FAIL").asText(null);
            if (failure != null) {
                publish(EventTypes.SERVICE_FAILED, task, new ServiceFailed(task, spec.getName(), worker,
                        start.getGeneration(), failure, List.of("starting " + spec.getName(), "fatal: " + failure)));
                continue;
            }
            Map<String, Integer> ports = new LinkedHashMap<>();
            config.path("ports").forEach(p -> ports.put(p.path("name").asText("default"), p.path("number").asInt()));
            lastReadySent.put(task, System.nanoTime());
            publish(EventTypes.SERVICE_READY, task, new ServiceReady(task, spec.getName(), worker,
                    start.getGeneration(), network, "127.0.0.1", ports, now, now, now));
        }
    }

    private void stop(String task, long generation) {
        Map<String, JsonNode> services = started.getOrDefault(task, Map.of());
        for (var entry : services.entrySet()) {
            String signal = entry.getValue().path("params").path("FAKE_SIGNAL").asText("SIGTERM");
            Integer exit = signal.equals("SIGKILL") ? 137 : 0;
            publish(EventTypes.SERVICE_STOPPED, task, new ServiceStopped(task, entry.getKey(), worker, generation,
                    signal, signal.equals("SIGKILL") ? 10_003 : 12, exit));
        }
    }

    private int activeServices() {
        return started.values().stream().mapToInt(Map::size).sum();
    }

    private void publish(String type, String task, Object payload) {
        producer.send(new ProducerRecord<>(Topics.SERVICE_EVENTS, task, codec.encode(type, task, payload)));
    }

    private static JsonNode readTree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (heartbeats >= 0) {
            vertx.cancelTimer(heartbeats);
        }
        var s = stream;
        stream = null;
        if (s != null) {
            try {
                s.end();
            } catch (RuntimeException ignored) {
                // already reset
            }
        }
        client.close();
        producer.close(java.time.Duration.ofSeconds(2));
    }

    /** Services this agent started per task (for assertions). */
    public List<String> servicesOf(String task) {
        return new ArrayList<>(started.getOrDefault(task, Map.of()).keySet());
    }
}
