package io.berth.orchestrator.ingress;

import io.berth.events.Envelope;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.InputRoots;
import io.berth.events.InvalidEventException;
import io.berth.events.KafkaBinding;
import io.berth.events.Topics;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import io.berth.events.json.Json;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskHeartbeat;
import io.berth.events.payload.TaskStarted;
import io.berth.events.validation.ValidationError;
import io.berth.orchestrator.state.TaskInput;
import io.berth.orchestrator.state.TaskRequest.RequestedService;
import io.berth.orchestrator.state.TaskRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a Kafka record into a state-machine input, or into the reason it is refused. Decodes and
 * validates with {@link EventCodec} (envelope, payload schema, inline service configs), then checks what
 * the codec cannot know: the type belongs on this topic, the key is the task id, a task names at least one
 * service. Thread-safe; runs on the ingress thread so the orchestrator's event loop never parses JSON.
 */
public final class EventTranslator {
    /**
     * The most a {@code task.started} (or any record on {@code berth.task-events}) may weigh: a task's state, written
     * after it, carries its request and must stay well within a Kafka record (1 MiB by default).
     */
    public static final int MAX_TASK_EVENT_BYTES = 256 * 1024;

    private final EventCodec codec;
    private final InputRoots inputRoots;

    public EventTranslator(EventCodec codec) {
        this(codec, null);
    }

    /** @param inputRoots where task inputs may lie on the workers (checked as written); null: not checked here */
    public EventTranslator(EventCodec codec, InputRoots inputRoots) {
        this.codec = codec;
        this.inputRoots = inputRoots;
    }

    /**
     * The outcome for one record: accepted (envelope and input set) or rejected (rejection set). A rejected
     * {@code task.started} whose task id could be read also carries an input, {@link TaskInput.Rejected}, about that
     * task (in an envelope made from what could be read), so that the CI platform gets an answer.
     */
    public record Translation(Envelope envelope, TaskInput input, Rejection rejection) {
        static Translation accepted(Envelope envelope, TaskInput input) {
            return new Translation(envelope, input, null);
        }

        static Translation rejected(Rejection rejection) {
            return new Translation(null, null, rejection);
        }

        /** @param value the refused record, whose secret params the answer must not show (as its dead letter) */
        Translation answered(Envelope about, byte[] value) {
            return new Translation(about, new TaskInput.Rejected(MaskedRecord.of(value).mask(rejection.message())),
                    rejection);
        }

        public boolean isAccepted() {
            return rejection == null;
        }
    }

    /** A record without headers (structured mode). */
    public Translation translate(String topic, String key, byte[] value) {
        return translate(topic, key, Map.of(), value);
    }

    /**
     * @param headers the record's headers as UTF-8 text: binary-mode events have their attributes there
     */
    public Translation translate(String topic, String key, Map<String, String> headers, byte[] value) {
        Translation translation = decode(topic, key, headers, value);
        return translation.isAccepted() ? translation : answerIfTaskStarted(translation, topic, key, headers, value);
    }

    private Translation decode(String topic, String key, Map<String, String> headers, byte[] value) {
        if ((value == null || value.length == 0) && !KafkaBinding.isBinary(headers)) {
            return Translation.rejected(Rejection.of(DeadLetter.Reason.EMPTY_RECORD, "the record has no value"));
        }
        if (Topics.TASK_EVENTS.equals(topic) && value.length > MAX_TASK_EVENT_BYTES) {
            return Translation.rejected(Rejection.of(DeadLetter.Reason.TOO_LARGE, "event too large: "
                    + value.length + " bytes, a task event may have at most " + MAX_TASK_EVENT_BYTES));
        }
        Envelope envelope;
        try {
            envelope = codec.decode(value, headers, key);
        } catch (InvalidEventException e) {
            return Translation.rejected(classify(e, headers, value));
        } catch (RuntimeException e) {
            return Translation.rejected(Rejection.of(DeadLetter.Reason.INVALID_EVENT,
                    "cannot decode the event: " + e.getMessage()));
        }
        if (!allowedOn(topic, envelope.type())) {
            return Translation.rejected(Rejection.of(DeadLetter.Reason.UNEXPECTED_TYPE,
                    envelope.type() + " does not belong on " + topic + " (expected one of "
                            + expectedOn(topic) + ")", envelope));
        }
        if (key != null && !key.equals(envelope.subject())) {
            return Translation.rejected(Rejection.of(DeadLetter.Reason.KEY_MISMATCH,
                    "the record key '" + key + "' must be the event's subject (the task id) '"
                            + envelope.subject() + "'", envelope));
        }
        try {
            return toInput(envelope);
        } catch (IllegalArgumentException e) {
            return Translation.rejected(Rejection.of(DeadLetter.Reason.INVALID_EVENT, e.getMessage(), envelope));
        }
    }

    /**
     * A refused {@code task.started} on the task topic whose task id can be read (subject, key or
     * {@code data.task_id}) gets an answer besides its dead letter.
     */
    private static Translation answerIfTaskStarted(Translation rejected, String topic, String key,
                                                   Map<String, String> headers, byte[] value) {
        if (!Topics.TASK_EVENTS.equals(topic)) {
            return rejected;
        }
        Map<String, String> read = KafkaBinding.lenientAttributes(headers, value);
        if (!EventTypes.TASK_STARTED.equals(read.get("type"))) {
            return rejected;
        }
        String taskId = firstNonBlank(read.get("subject"), key, read.get("task_id"));
        if (taskId == null) {
            return rejected;
        }
        String source = firstNonBlank(read.get("source"), "unknown");
        String id = firstNonBlank(read.get("id"), "rejected");
        return rejected.answered(new Envelope(id, source, EventTypes.TASK_STARTED, taskId,
                java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC), null), value);
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    private Translation toInput(Envelope envelope) {
        if (EventTypes.TASK_STARTED.equals(envelope.type())) {
            TaskStarted started = envelope.payload(TaskStarted.class);
            Rejection problem = checkServices(started, envelope);
            if (problem == null) {
                problem = checkInputs(started, envelope);
            }
            return problem != null ? Translation.rejected(problem)
                    : Translation.accepted(envelope, new TaskInput.Started(request(started)));
        }
        TaskInput input = switch (envelope.type()) {
            case EventTypes.TASK_ENDED -> new TaskInput.Ended(envelope.payload(TaskEnded.class));
            case EventTypes.TASK_HEARTBEAT -> new TaskInput.Heartbeat(envelope.payload(TaskHeartbeat.class));
            case EventTypes.SERVICE_STARTING -> new TaskInput.Starting(envelope.payload(ServiceStarting.class));
            case EventTypes.SERVICE_PROBE -> new TaskInput.Probed(envelope.payload(ServiceProbe.class));
            case EventTypes.SERVICE_READY -> new TaskInput.Ready(envelope.payload(ServiceReady.class));
            case EventTypes.SERVICE_FAILED -> new TaskInput.Failed(envelope.payload(ServiceFailed.class));
            case EventTypes.SERVICE_EXITED -> new TaskInput.Exited(envelope.payload(ServiceExited.class),
                    envelope.time() == null ? System.currentTimeMillis() : envelope.time().toInstant().toEpochMilli());
            case EventTypes.SERVICE_STOPPED -> new TaskInput.Stopped(envelope.payload(ServiceStopped.class));
            default -> throw new IllegalArgumentException("unhandled event type " + envelope.type());
        };
        return Translation.accepted(envelope, input);
    }

    private static Rejection checkServices(TaskStarted started, Envelope envelope) {
        if (started.services().isEmpty()) {
            return Rejection.of(DeadLetter.Reason.NO_SERVICES, "task " + started.taskId() + " names no services",
                    List.of(ValidationError.at("$.data.services", "must name at least one service")), envelope);
        }
        Set<String> names = new HashSet<>();
        List<ValidationError> errors = new ArrayList<>();
        for (int i = 0; i < started.services().size(); i++) {
            ServiceRequest service = started.services().get(i);
            if (!names.add(service.name())) {
                errors.add(ValidationError.at("$.data.services[" + i + "].name",
                        "service '" + service.name() + "' is named twice"));
            }
            if (service.config() == null && service.file() == null) {
                errors.add(ValidationError.at("$.data.services[" + i + "]", "needs either 'file' or 'config'"));
            }
        }
        if (!errors.isEmpty()) {
            return Rejection.of(DeadLetter.Reason.INVALID_SERVICE_CONFIG, "task " + started.taskId() + ": " + errors.get(0), errors, envelope);
        }
        return null;
    }

    private Rejection checkInputs(TaskStarted started, Envelope envelope) {
        if (inputRoots == null || started.inputs() == null) {
            return null;
        }
        List<ValidationError> errors = new ArrayList<>();
        new java.util.TreeMap<>(started.inputs()).forEach((name, path) -> {
            String why = inputRoots.refusal(path);
            if (why != null) {
                errors.add(ValidationError.at("$.data.inputs." + name, why));
            }
        });
        return errors.isEmpty() ? null : Rejection.of(DeadLetter.Reason.INVALID_EVENT, "task " + started.taskId()
                + ": " + errors.get(0), errors, envelope);
    }

    /**
     * The request the agent receives. An inline config travels resolved (the entry's image and params
     * applied); a {@code file:} entry travels as the entry itself, since the file lives on the worker.
     */
    static TaskRequest request(TaskStarted started) {
        List<RequestedService> services = new ArrayList<>();
        for (ServiceRequest service : started.services()) {
            // written straight from the record: the same text as through its JSON tree, without building the tree
            String configJson = service.config() != null
                    ? Json.string(ServiceConfigs.withOverrides(service.config(), service.image(), service.params()))
                    : Json.string(service);
            services.add(new RequestedService(service.name(), configJson));
        }
        return new TaskRequest(started.taskId(), started.worker(), started.network(), services, started.inputs(),
                started.leaseSeconds());
    }

    private static Rejection classify(InvalidEventException e, Map<String, String> headers, byte[] value) {
        List<ValidationError> errors = e.errors();
        DeadLetter.Reason reason = switch (e.problem()) {
            case EMPTY -> DeadLetter.Reason.EMPTY_RECORD;
            case TOO_LARGE -> DeadLetter.Reason.TOO_LARGE;
            case MALFORMED -> DeadLetter.Reason.MALFORMED_JSON;
            case UNKNOWN_TYPE -> DeadLetter.Reason.UNKNOWN_TYPE;
            case INVALID -> errors.stream().anyMatch(error -> error.path() != null
                    && error.path().startsWith("$.data.services[")) ? DeadLetter.Reason.INVALID_SERVICE_CONFIG
                    : DeadLetter.Reason.INVALID_EVENT;
        };
        Map<String, String> read = reason == DeadLetter.Reason.TOO_LARGE ? Map.of()
                : KafkaBinding.lenientAttributes(headers, value);
        return new Rejection(reason, e.getMessage(), errors, read.get("type"), read.get("id"), read.get("source"));
    }

    private static boolean allowedOn(String topic, String type) {
        return switch (topic) {
            case Topics.TASK_EVENTS -> EventTypes.TASK_INPUT.contains(type);
            case Topics.SERVICE_EVENTS -> EventTypes.SERVICE.contains(type);
            default -> false;
        };
    }

    private static String expectedOn(String topic) {
        return switch (topic) {
            case Topics.TASK_EVENTS -> String.join(", ", new java.util.TreeSet<>(EventTypes.TASK_INPUT));
            case Topics.SERVICE_EVENTS -> String.join(", ", new java.util.TreeSet<>(EventTypes.SERVICE));
            default -> "nothing";
        };
    }
}
