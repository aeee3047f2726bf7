package io.berth.agent.link;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.agent.logs.ServiceSecrets;
import io.berth.agent.supervisor.Relauncher;
import io.berth.agent.supervisor.ServiceEvents;
import io.berth.agent.supervisor.Supervisor;
import io.berth.agent.supervisor.TaskLaunch;
import io.berth.events.EventCodec;
import io.berth.events.InputRoots;
import io.berth.events.config.ServiceConfig;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import io.berth.events.json.Json;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceFailed;
import io.berth.protocol.OrchestratorCommand;
import io.berth.protocol.ServiceSpec;
import io.berth.protocol.StartServices;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Turns orchestrator commands into supervisor calls; the supervisor makes them idempotent. Each start's command is
 * journalled with it, and made again here after an agent restart ({@link Relauncher}).
 */
public final class AgentCommands implements CommandHandler, Relauncher {
    private final Supervisor supervisor;
    private final ServiceEventPublisher publisher;
    private final String worker;
    private final ServiceSecrets secrets;
    private final UnaryOperator<ServiceEvents> decorate;

    public AgentCommands(Supervisor supervisor, KafkaSender sender, EventCodec codec, String worker) {
        this(supervisor, sender, codec, worker, new ServiceSecrets(), UnaryOperator.identity());
    }

    /**
     * @param secrets  told each service's secret params, so its log tails (here) and logs (when fetched) are masked
     * @param decorate wraps each task's events, e.g. to count them
     */
    public AgentCommands(Supervisor supervisor, KafkaSender sender, EventCodec codec, String worker,
                         ServiceSecrets secrets, UnaryOperator<ServiceEvents> decorate) {
        this.supervisor = supervisor;
        this.publisher = new ServiceEventPublisher(sender, codec);
        this.worker = worker;
        this.secrets = secrets;
        this.decorate = decorate;
    }

    private InputRoots inputRoots = InputRoots.none();

    @Override
    public Future<Void> handle(OrchestratorCommand command) {
        return switch (command.getBodyCase()) {
            case START -> start(command.getStart());
            case STOP -> supervisor.stop(command.getStop().getTaskId()).mapEmpty();
            // FetchLogs is a read the link answers itself (see OrchestratorLink); it never gets here
            default -> Future.failedFuture("not a command: " + command.getBodyCase() + " " + command.getCommandId());
        };
    }

    /** Where this worker's task inputs may lie ({@link InputRoots}); none until set. */
    public AgentCommands inputRoots(InputRoots roots) {
        this.inputRoots = roots;
        return this;
    }

    private Future<Void> start(StartServices start) {
        ServiceEvents events = events(start);
        String refused = refusedInput(start.getInputsMap());
        if (refused != null) {
            for (ServiceSpec spec : start.getServicesList()) {
                events.emit(failed(start, spec.getName(), refused));
            }
            return Future.failedFuture(refused);
        }
        try {
            return supervisor.start(launch(start), events).mapEmpty();
        } catch (InvalidServiceException e) {
            // The orchestrator validated it; if this agent still cannot read it, say so on the service.
            events.emit(failed(start, e.service, "invalid service config: " + e.getMessage()));
            return Future.failedFuture(e);
        }
    }

    @Override
    public Optional<Relaunch> relaunch(byte[] command) {
        try {
            StartServices start = StartServices.parseFrom(command);
            return Optional.of(new Relaunch(launch(start), events(start)));
        } catch (com.google.protobuf.InvalidProtocolBufferException | InvalidServiceException e) {
            return Optional.empty();
        }
    }

    /** Why one of the task's inputs may not be used here (symbolic links followed), or null. */
    private String refusedInput(Map<String, String> inputs) {
        for (var input : new java.util.TreeMap<>(inputs).entrySet()) {
            String why = inputRoots.refusalOnThisMachine(input.getValue());
            if (why != null) {
                return "input '" + input.getKey() + "': " + why;
            }
        }
        return null;
    }

    private ServiceEvents events(StartServices start) {
        return decorate.apply(new MaskedServiceEvents(publisher, secrets));
    }

    private ServiceFailed failed(StartServices start, String service, String reason) {
        return new ServiceFailed(start.getTaskId(), service, worker, start.getGeneration(), reason, List.of());
    }

    private TaskLaunch launch(StartServices start) {
        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        for (ServiceSpec spec : start.getServicesList()) {
            String source = "task " + start.getTaskId() + " service " + spec.getName();
            try {
                ServiceConfig config = config(Json.MAPPER.readTree(spec.getConfigJson()), source, start.getInputsMap());
                secrets.remember(start.getTaskId(), spec.getName(), config.params());
                services.put(spec.getName(), config);
            } catch (Exception e) {
                throw new InvalidServiceException(spec.getName(), e);
            }
        }
        var network = new NetworkSpec(emptyToNull(start.getNetwork().getMode()), emptyToNull(start.getNetwork().getJoinPath()));
        return new TaskLaunch(start.getTaskId(), start.getGeneration(), network, services, start.getInputsMap(),
                start.toByteArray());
    }

    /** A service config of a start this agent cannot read. */
    private static final class InvalidServiceException extends RuntimeException {
        private final String service;

        InvalidServiceException(String service, Exception cause) {
            super(cause.getMessage(), cause);
            this.service = service;
        }
    }

    /**
     * An inline config arrives resolved; a {@code file:} entry arrives as the entry itself, since the
     * file lives here. Like Concourse, {@code file: INPUT/path} is read from the task input named by the
     * first segment; other relative paths from the agent's working directory.
     */
    private static ServiceConfig config(JsonNode json, String source, Map<String, String> inputs) {
        if (!json.hasNonNull("file")) {
            return ServiceConfigs.fromJson(json, source);
        }
        ServiceRequest request = Json.read(json, ServiceRequest.class);
        Path file = Path.of(request.file());
        Path base = Path.of("").toAbsolutePath();
        if (!file.isAbsolute() && file.getNameCount() > 1 && inputs.containsKey(file.getName(0).toString())) {
            base = Path.of(inputs.get(file.getName(0).toString()));
            request = new ServiceRequest(request.name(), file.subpath(1, file.getNameCount()).toString(),
                    null, request.image(), request.params());
        }
        return ServiceConfigs.resolve(request, base);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
