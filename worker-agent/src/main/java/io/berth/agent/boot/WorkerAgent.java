package io.berth.agent.boot;

import io.berth.agent.AgentSettings;
import io.berth.agent.StateLayout;
import io.berth.agent.link.AgentCommands;
import io.berth.agent.link.KafkaSender;
import io.berth.agent.link.LinkSettings;
import io.berth.agent.link.LogRequests;
import io.berth.agent.link.OrchestratorLink;
import io.berth.agent.logs.ServiceLogs;
import io.berth.agent.logs.ServiceLogs.LogLimits;
import io.berth.agent.logs.ServiceSecrets;
import io.berth.agent.metrics.AgentMetrics;
import io.berth.agent.metrics.MeteredServiceEvents;
import io.berth.agent.metrics.MetricsEndpoint;
import io.berth.agent.sandbox.CgroupDynmods;
import io.berth.agent.sandbox.TaskFilesMount;
import io.berth.agent.supervisor.Supervisor;
import io.berth.events.EventCodec;
import io.berth.events.InputRoots;
import io.berth.protocol.Hello;
import io.berth.protocol.RunningTask;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A worker agent: links to the orchestrator over gRPC, runs the services it is told to run and
 * reports their lifecycle to Kafka. Like the orchestrator, it runs as a verticle: everything it makes (supervisor,
 * links, timers) lives on that verticle's context.
 */
public final class WorkerAgent {
    private static final System.Logger LOG = System.getLogger(WorkerAgent.class.getName());
    private static final long LOG_CHECK_MILLIS = 2_000;
    private static final long LOG_EXPIRY_MILLIS = 600_000;
    private final Vertx vertx;
    private final AgentSettings settings;
    private final LinkSettings link;
    private final String bootstrapServers;

    private Supervisor supervisor;
    private KafkaSender sender;
    private InputRoots inputRoots;
    /** One link per orchestrator instance (any of them may own a task of this worker). */
    private java.util.List<OrchestratorLink> orchestrators = java.util.List.of();
    private final AgentMetrics metrics;
    private final ServiceSecrets secrets = new ServiceSecrets();
    private ServiceLogs logs;
    private LogLimits logLimits = LogLimits.DEFAULT;
    private String metricsHost;
    private int metricsPort = -1;
    private MetricsEndpoint metricsEndpoint;
    private long logTimer = -1;
    private long logChecks;
    private String deploymentId;
    private boolean begun;
    private String taskFilesSize;

    public WorkerAgent(Vertx vertx, AgentSettings settings, LinkSettings link, String bootstrapServers) {
        this.vertx = vertx;
        this.settings = settings;
        this.link = link;
        this.bootstrapServers = bootstrapServers;
        this.metrics = new AgentMetrics(settings.workerName());
    }

    /**
     * Serves {@code /metrics} on {@code host:port} (port 0: any free port) from {@link #start()} on. The address is
     * in the agent's own network, never in a task's namespace; 127.0.0.1 keeps it on this machine.
     */
    public WorkerAgent withMetricsEndpoint(String host, int port) {
        this.metricsHost = host;
        this.metricsPort = port;
        return this;
    }

    /**
     * Where task inputs may lie on this worker (default: {@code $BERTH_INPUT_ROOTS}, none when unset); the agent's
     * state directory is never among them. Call before {@link #start()}.
     */
    public WorkerAgent withInputRoots(InputRoots roots) {
        this.inputRoots = roots;
        return this;
    }

    /** Caps and retention of service logs (default {@link LogLimits#DEFAULT}). Call before {@link #start()}. */
    public WorkerAgent withLogLimits(LogLimits limits) {
        this.logLimits = limits;
        return this;
    }

    /**
     * How much memory the tmpfs of the tasks' files may use ({@link TaskFilesMount}; default: {@code
     * $BERTH_TASK_FILES_SIZE}, else {@value TaskFilesMount#DEFAULT_SIZE}), or {@value TaskFilesMount#OFF} to keep them on
     * disk. Call before {@link #start()}.
     */
    public WorkerAgent withTaskFilesSize(String size) {
        this.taskFilesSize = TaskFilesMount.checkedSize(size);
        return this;
    }

    /** Completes once the agent has said hello to an orchestrator (each link keeps redialing its own). */
    public Future<Void> start() {
        begun = true;
        return vertx.deployVerticle(new AgentVerticle()).onSuccess(id -> deploymentId = id).mapEmpty();
    }

    /** The agent's home context: what {@link #start} and {@link #stop} do runs on it. */
    private final class AgentVerticle extends VerticleBase {
        @Override
        public Future<?> start() {
            return startHere();
        }

        @Override
        public Future<?> stop() {
            return stopHere();
        }
    }

    private Future<Void> startHere() {
        // the launcher holds each log within the same cap the agent rotates it at
        supervisor = new Supervisor(vertx, settings.withSandbox(settings.sandbox()
                .withLogCap(logLimits.maxBytesPerService())));
        sender = new KafkaSender(new KafkaProducer<>(producerConfig(bootstrapServers,
                "berth-agent-" + settings.workerName())), "berth-agent-kafka-send");
        var codec = new EventCodec("berth://agent/" + settings.workerName());
        var commands = new AgentCommands(supervisor, sender, codec, settings.workerName(), secrets,
                events -> new MeteredServiceEvents(events, metrics))
                .inputRoots((inputRoots != null ? inputRoots : InputRoots.fromEnvironment(InputRoots.none()))
                        .excluding(settings.stateDir()));
        logs = new ServiceLogs(settings.stateDir(), logLimits);
        orchestrators = link.perOrchestrator().stream()
                .map(one -> new OrchestratorLink(vertx, one, this::hello, supervisor::activeServices, commands)
                        .logRequests(new LogRequests(vertx, logs, secrets)))
                .toList();
        Supervisor s = supervisor;
        var all = orchestrators;
        metrics.gauges(settings.capacity(), s::activeServices, () -> s.activeTaskIds().size(),
                () -> all.stream().mapToInt(OrchestratorLink::reconnects).sum());
        logTimer = vertx.setPeriodic(LOG_CHECK_MILLIS, id -> checkLogs());
        Future<?> endpoint = Future.succeededFuture();
        if (metricsPort >= 0) {
            metricsEndpoint = new MetricsEndpoint(vertx, metrics.registry());
            endpoint = metricsEndpoint.listen(metricsHost == null ? "127.0.0.1" : metricsHost, metricsPort);
        }
        String filesSize = taskFilesSize != null ? taskFilesSize : TaskFilesMount.sizeFrom(System.getenv());
        Path tasksDir = StateLayout.of(settings.stateDir()).tasks();
        Future<?> taskFiles = vertx.executeBlocking(() -> TaskFilesMount.mount(tasksDir, filesSize), false)
                .onSuccess(where -> LOG.log(Level.INFO, "{0}", where));
        boolean favorDynmods = CgroupDynmods.wantedBy(System.getenv());
        Future<?> cgroupMode = vertx.executeBlocking(() -> CgroupDynmods.favor(favorDynmods), false)
                .onSuccess(what -> LOG.log(Level.INFO, "{0}", what))
                .otherwise(e -> {
                    LOG.log(Level.WARNING, "cgroup migrations as the host has them: {0}", e.toString());
                    return null;
                });
        // What a previous, crashed agent left behind is re-attached or reaped before this one says hello, so the
        // inventory it reports is exactly what runs.
        return Future.all(endpoint, taskFiles, cgroupMode).compose(v -> supervisor.recover(commands))
                .onSuccess(recovered -> {
                    if (!recovered.isEmpty()) {
                        LOG.log(Level.WARNING, "picked up after a previous agent: {0}", recovered);
                    }
                })
                .compose(v -> Future.any(orchestrators.stream().map(OrchestratorLink::start).toList()))
                .mapEmpty();
    }

    /** The agent's meters (also served on the metrics endpoint, when one is configured). */
    public AgentMetrics metrics() {
        return metrics;
    }

    /** The metrics endpoint's bound port; -1 when there is none. */
    public int metricsPort() {
        return metricsEndpoint == null ? -1 : metricsEndpoint.port();
    }

    /** Every few seconds: the size cap on active services' logs; now and then: logs past their retention. */
    private void checkLogs() {
        boolean expire = ++logChecks % (LOG_EXPIRY_MILLIS / LOG_CHECK_MILLIS) == 0;
        var active = supervisor.activeTaskIds();
        vertx.executeBlocking(() -> {
            metrics.logsRotated(logs.cap(active));
            if (expire) {
                logs.expire(supervisor.activeTaskIds());
            }
            return null;
        }, false).onFailure(e -> LOG.log(Level.WARNING, "service log upkeep failed: {0}", e.toString()));
    }

    /** Releases every service (SIGTERM, grace, SIGKILL), then closes the link and the producer. */
    public Future<Void> stop() {
        String id = deploymentId;
        deploymentId = null;
        if (id != null) {
            return vertx.undeploy(id);
        }
        // never started, or its start failed: what it made so far goes all the same
        return begun ? stopHere() : Future.succeededFuture();
    }

    private Future<Void> stopHere() {
        begun = false;
        if (logTimer >= 0) {
            vertx.cancelTimer(logTimer);
        }
        Future<Void> services = supervisor == null ? Future.succeededFuture() : supervisor.stopAll();
        return services
                // every service is released: the agent's cgroup directories go too (nothing is left in them)
                .eventually(() -> vertx.<Void>executeBlocking(() -> {
                    try {
                        io.berth.agent.sandbox.Cgroups.forStateDir(settings.stateDir()).removeAgent();
                    } finally { // and the tasks' tmpfs, once no task is left in it
                        TaskFilesMount.unmountIfUnused(StateLayout.of(settings.stateDir()).tasks());
                    }
                    return null;
                }).recover(e -> Future.succeededFuture()))
                .eventually(() -> Future.join(orchestrators.stream().map(OrchestratorLink::stop).toList()))
                .eventually(() -> metricsEndpoint == null ? Future.succeededFuture() : metricsEndpoint.close())
                .eventually(() -> vertx.executeBlocking(() -> {
                    if (sender != null) {
                        sender.close(Duration.ofSeconds(5));
                    }
                    return null;
                }))
                .mapEmpty();
    }

    public Supervisor supervisor() {
        return supervisor;
    }

    /** The link to the first orchestrator. */
    public OrchestratorLink link() {
        return orchestrators.isEmpty() ? null : orchestrators.get(0);
    }

    /** Every orchestrator link, in the order of {@link LinkSettings#orchestrators()}. */
    public java.util.List<OrchestratorLink> links() {
        return orchestrators;
    }

    private Hello hello() {
        var hello = Hello.newBuilder()
                .setWorker(settings.workerName())
                .addRuntimes("process")
                .addRuntimes("prototype")
                .setCapacity(settings.capacity())
                .setNetworkModes(settings.defaultNetworkMode());
        if (settings.engineSocket() != null) {
            hello.addRuntimes("container");
        }
        for (Supervisor.Running task : supervisor.inventory()) {
            hello.addInventory(RunningTask.newBuilder().setTaskId(task.taskId()).setGeneration(task.generation())
                    .addAllServices(task.services()));
        }
        return hello.build();
    }

    /** How long a send may wait for metadata or buffer space (Kafka's default: 60 s). */
    static final int MAX_BLOCK_MILLIS = 10_000;
    /** How long Kafka may take to answer a produce request, and to acknowledge a record (defaults: 30 s, 120 s). */
    static final int REQUEST_TIMEOUT_MILLIS = 10_000;
    static final int DELIVERY_TIMEOUT_MILLIS = 15_000;

    static Properties producerConfig(String bootstrapServers, String clientId) {
        var props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // sends run on KafkaSender's thread, never on an event loop; this bounds how long that thread waits for
        // metadata or buffer space while the broker is away before the attempt fails (and is made again)
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MILLIS);
        // a record not acknowledged within this fails its attempt and KafkaSender sends it again: this bounds how long
        // one batch the producer cannot get accepted (e.g. after a broker restart) holds its records back
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MILLIS);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MILLIS);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.putAll(io.berth.events.KafkaSecurity.with(java.util.Map.of())); // BERTH_KAFKA_PROPERTIES
        return props;
    }
}
