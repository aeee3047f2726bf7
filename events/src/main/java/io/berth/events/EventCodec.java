package io.berth.events;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.json.Json;
import io.berth.events.validation.JsonSourceLocator;
import io.berth.events.validation.NodePath;
import io.berth.events.validation.Position;
import io.berth.events.validation.SchemaValidator;
import io.berth.events.validation.SourceLocator;
import io.berth.events.validation.ValidationError;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonCloudEventData;
import io.cloudevents.jackson.JsonFormat;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Writes and reads Berth events: CloudEvents 1.0, written in structured JSON mode (the payload record as
 * snake_case JSON in {@code data}), read in structured or binary mode of the Kafka binding ({@link KafkaBinding}).
 * Decoding rejects anything that is not a well-formed event of a
 * known type whose payload matches its JSON Schema, and reports every problem at once. Thread-safe.
 */
public final class EventCodec {
    /** Larger inputs are rejected without being parsed. */
    public static final int MAX_EVENT_BYTES = 1024 * 1024;
    public static final String SPEC_VERSION = "1.0";
    public static final String DATA_CONTENT_TYPE = "application/json";

    private static final ObjectMapper CLOUD_EVENTS = JsonMapper.builder()
            .addModule(JsonFormat.getCloudEventJacksonModule()).build();
    private static final Pattern JSON_CONTENT_TYPE = Pattern.compile("(?i)application/([\\w.-]+\\+)?json(;.*)?");
    /**
     * Readers of the payload records, for payloads validated whole already: an inline service config is not
     * validated a second time as it is read (see {@link ServiceConfigs#VALIDATED}).
     */
    private static final Map<Class<?>, ObjectReader> PAYLOAD_READERS = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Sources already seen to be URI references: a source is one producer (an agent, a CI platform), and parsing
     * it as a URI for every event it sends costs as much as reading the event's time. Bounded: emptied when full.
     */
    private static final BoundedSet VALID_SOURCES = new BoundedSet(10_000);
    /** The attributes {@link EnvelopeCheck} checks, and {@code data}. */
    private static final Set<String> CHECKED_ATTRIBUTES = Set.of("specversion", "id", "source", "type", "subject",
            "time", "datacontenttype", "data");

    private final URI source;
    private final Map<String, String> extensions;
    private final EventFormat format;

    /** @param source this producer, e.g. {@code berth://orchestrator/host-1}; with the id it makes the dedupe key */
    public EventCodec(String source) {
        this(source, Map.of());
    }

    /**
     * @param extensions CloudEvents extension attributes every event it encodes carries (lower-case alphanumeric
     *                   names), e.g. which instance of a logical producer made it
     */
    public EventCodec(String source, Map<String, String> extensions) {
        this.extensions = Map.copyOf(extensions);
        try {
            this.source = new URI(source);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("event source must be a URI reference: " + source, e);
        }
        EventFormat resolved = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
        this.format = resolved != null ? resolved : new JsonFormat();
    }

    public String source() {
        return source.toString();
    }

    /**
     * A new event (random id, time now) of {@code type} about task {@code subject}.
     *
     * @throws IllegalArgumentException when the type is unknown, the payload is not that type's
     *                                  record, or {@code subject} is not the payload's task id
     */
    public byte[] encode(String type, String subject, Object payload) {
        return encode(type, subject, payload, UUID.randomUUID().toString());
    }

    /**
     * The event of {@code type} about {@code subject} that is the same event however often it is made for the same
     * {@code key}: its id is derived from the key (a name-based UUID), so that a repeat (published again after a
     * failover) has the source and id of the first and a consumer drops it as a duplicate.
     */
    public byte[] encodeOnce(String type, String subject, Object payload, String key) {
        return encode(type, subject, payload,
                UUID.nameUUIDFromBytes((type + "\n" + key).getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString());
    }

    private byte[] encode(String type, String subject, Object payload, String id) {
        if (!EventTypes.payloadType(type).isInstance(payload)) {
            throw new IllegalArgumentException(type + " carries a " + EventTypes.payloadType(type).getSimpleName()
                    + ", not " + (payload == null ? "null" : payload.getClass().getSimpleName()));
        }
        JsonNode data = Json.tree(payload);
        String taskId = data.path("task_id").asText(null);
        if (subject == null || !subject.equals(taskId)) {
            throw new IllegalArgumentException("subject '" + subject + "' must be the payload's task_id '" + taskId + "'");
        }
        CloudEventBuilder builder = CloudEventBuilder.v1()
                .withId(id)
                .withSource(source)
                .withType(type)
                .withSubject(subject)
                .withTime(OffsetDateTime.now(ZoneOffset.UTC))
                .withDataContentType(DATA_CONTENT_TYPE)
                .withData(JsonCloudEventData.wrap(data));
        extensions.forEach(builder::withExtension);
        CloudEvent event = builder.build();
        return format.serialize(event);
    }

    /** {@link #encode(String, String, Object)} with the type of the payload's record and its task id as subject. */
    public byte[] encode(Object payload) {
        String type = EventTypes.typeOf(payload.getClass());
        return encode(type, Json.tree(payload).path("task_id").asText(null), payload);
    }

    /**
     * Parses and validates one structured-mode event (the whole event as JSON), as {@link #decode(byte[], Map,
     * String)} without headers or key.
     *
     * @throws InvalidEventException listing every problem: malformed JSON, envelope attributes,
     *                               unknown type, payload schema violations, subject ≠ task_id
     */
    public Envelope decode(byte[] bytes) throws InvalidEventException {
        return decode(bytes, Map.of(), null);
    }

    /**
     * Parses and validates the event of one Kafka record, in either mode of the CloudEvents Kafka binding (see
     * {@link KafkaBinding}). Without a {@code subject}, the task is the record's key or, without one, the payload's
     * {@code task_id}.
     *
     * @param headers the record's headers as UTF-8 text (empty: structured mode)
     * @param key     the record's key (the task id), or null
     * @throws InvalidEventException listing every problem
     */
    public Envelope decode(byte[] value, Map<String, String> headers, String key) throws InvalidEventException {
        if (value != null && value.length > MAX_EVENT_BYTES) {
            throw new InvalidEventException(InvalidEventException.Problem.TOO_LARGE, List.of(ValidationError.at("$",
                    "event too large: " + value.length + " bytes, at most " + MAX_EVENT_BYTES + " allowed")));
        }
        if (KafkaBinding.isBinary(headers)) {
            // no source text to point into: errors name the attribute (its ce_ header) or the payload's field path
            return decodeTree(KafkaBinding.toStructured(headers, value), SourceLocator.NONE, key);
        }
        return decodeStructured(value, key);
    }

    private Envelope decodeStructured(byte[] bytes, String key) {
        if (bytes == null || bytes.length == 0) {
            throw new InvalidEventException(InvalidEventException.Problem.EMPTY,
                    List.of(ValidationError.at("$", "empty event")));
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new InvalidEventException(InvalidEventException.Problem.MALFORMED, List.of(new ValidationError("$",
                    at == null ? null : at.getLineNr(), at == null ? null : at.getColumnNr(),
                    "malformed JSON: " + e.getOriginalMessage())));
        } catch (IOException e) {
            throw new InvalidEventException(InvalidEventException.Problem.MALFORMED,
                    List.of(ValidationError.at("$", "unreadable event: " + e.getMessage())));
        }
        return decodeTree(root, new JsonSourceLocator(bytes), key);
    }

    private Envelope decodeTree(JsonNode root, SourceLocator locator, String key) {
        if (root instanceof ObjectNode event && (event.get("subject") == null || event.get("subject").isNull())) {
            // The subject names the task; a producer may leave it to the record key or to data.task_id.
            JsonNode taskId = event.path("data").get("task_id");
            if (key != null && !key.isBlank()) {
                event.put("subject", key);
            } else if (taskId != null && taskId.isTextual() && !taskId.asText().isBlank()) {
                event.put("subject", taskId.asText());
            }
        }
        EnvelopeCheck envelope = new EnvelopeCheck(root, locator);
        List<ValidationError> errors = envelope.errors();
        JsonNode data = root.get("data");
        String type = root.path("type").asText(null);
        Object payload = null;
        if (EventTypes.isKnown(type) && data != null && data.isObject()) {
            try {
                PayloadRead read = payloadErrors(type, root.path("subject").asText(null), data, locator);
                errors.addAll(read.errors());
                payload = read.payload();
            } catch (RuntimeException e) { // bad input must never escape as anything but InvalidEventException
                errors.add(ValidationError.at("$.data", "cannot validate the payload: " + e));
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidEventException(envelope.unknownType ? InvalidEventException.Problem.UNKNOWN_TYPE
                    : InvalidEventException.Problem.INVALID, errors);
        }
        if (onlyCheckedAttributes(root)) {
            // everything the CloudEvents reader would look at was checked above: no second pass over the event
            return new Envelope(root.get("id").asText(), root.get("source").asText(), type,
                    root.get("subject").asText(), envelope.time, data, payload);
        }
        CloudEvent event;
        try {
            event = CLOUD_EVENTS.treeToValue(root, CloudEvent.class);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new InvalidEventException(List.of(ValidationError.at("$", "not a CloudEvent: " + e.getMessage())));
        }
        return new Envelope(event.getId(), event.getSource().toString(), event.getType(), event.getSubject(),
                event.getTime(), data, payload);
    }

    /**
     * Whether the event has no attribute but those {@link EnvelopeCheck} checked (no extension, no
     * {@code dataschema}): the CloudEvents SDK's reader then has nothing to add, and is not run.
     */
    private static boolean onlyCheckedAttributes(JsonNode root) {
        for (var names = root.fieldNames(); names.hasNext(); ) {
            if (!CHECKED_ATTRIBUTES.contains(names.next())) {
                return false;
            }
        }
        return true;
    }

    /** The payload's problems; when there are none, the payload as its record (read once, for the envelope). */
    private record PayloadRead(List<ValidationError> errors, Object payload) {}

    private static PayloadRead payloadErrors(String type, String subject, JsonNode data, SourceLocator locator) {
        NodePath base = NodePath.of("data");
        List<ValidationError> errors = new ArrayList<>(
                SchemaValidator.shared().validate(EventTypes.schemaName(type), data, base, locator));
        JsonNode taskId = data.get("task_id");
        if (subject != null && taskId != null && taskId.isTextual() && !taskId.asText().equals(subject)) {
            errors.add(error(base.property("task_id"), locator,
                    "must equal the subject '" + subject + "', is '" + taskId.asText() + "'"));
        }
        if (errors.isEmpty() && EventTypes.TASK_STARTED.equals(type)) {
            errors.addAll(ServiceConfigs.serviceListRuleErrors(data.path("services"), base.property("services"), locator));
        }
        if (errors.isEmpty()) {
            return recordErrors(type, data, base, locator);
        }
        return new PayloadRead(errors, null);
    }

    /**
     * Schema-valid values the payload record cannot hold, such as an integer beyond a {@code long}
     * (the schemas bound ranges from below only): found here so that {@link Envelope#payload()} of a
     * decoded event always works.
     */
    private static PayloadRead recordErrors(String type, JsonNode data, NodePath base, SourceLocator locator) {
        try {
            return new PayloadRead(List.of(), PAYLOAD_READERS.computeIfAbsent(EventTypes.payloadType(type),
                    t -> Json.MAPPER.readerFor(t).withAttribute(ServiceConfigs.VALIDATED, Boolean.TRUE))
                    .readValue(data));
        } catch (JsonMappingException e) {
            NodePath path = base;
            for (JsonMappingException.Reference reference : e.getPath()) {
                path = reference.getFieldName() != null ? path.property(reference.getFieldName())
                        : path.index(reference.getIndex());
            }
            return new PayloadRead(List.of(error(path, locator, "cannot be read: " + e.getOriginalMessage())), null);
        } catch (JsonProcessingException e) {
            return new PayloadRead(List.of(error(base, locator, "cannot be read: " + e.getOriginalMessage())), null);
        } catch (IOException e) {
            return new PayloadRead(List.of(error(base, locator, "cannot be read: " + e.getMessage())), null);
        }
    }

    static ValidationError error(NodePath path, SourceLocator locator, String message) {
        Position at = locator.nearest(path, false);
        return at == null ? ValidationError.at(path.toString(), message)
                : new ValidationError(path.toString(), at.line(), at.column(), message);
    }

    /** The CloudEvents attributes Berth requires, checked all at once. */
    private static final class EnvelopeCheck {
        private final JsonNode root;
        private final SourceLocator locator;
        private final List<ValidationError> errors = new ArrayList<>();
        /** The type is a name, but not one Berth knows. */
        boolean unknownType;
        /** {@code time}, parsed, when it is there and valid. */
        OffsetDateTime time;

        EnvelopeCheck(JsonNode root, SourceLocator locator) {
            this.root = root;
            this.locator = locator;
        }

        List<ValidationError> errors() {
            if (!root.isObject()) {
                errors.add(error(NodePath.ROOT, locator, "an event must be a JSON object, not "
                        + SchemaValidator.jsonType(root).replaceFirst("^an? ", "")));
                return errors;
            }
            String specVersion = requiredText("specversion");
            if (specVersion != null && !SPEC_VERSION.equals(specVersion)) {
                add("specversion", "must be '" + SPEC_VERSION + "', is '" + specVersion + "'");
            }
            requiredText("id");
            String src = requiredText("source");
            if (src != null && !VALID_SOURCES.contains(src)) {
                try {
                    new URI(src);
                    VALID_SOURCES.add(src);
                } catch (URISyntaxException e) {
                    add("source", "must be a URI reference: " + e.getReason());
                }
            }
            String type = requiredText("type");
            if (type != null && !EventTypes.isKnown(type)) {
                unknownType = true;
                add("type", "unknown event type '" + type + "'");
            }
            requiredText("subject");
            JsonNode time = root.get("time");
            if (time != null) {
                try {
                    this.time = EventTime.parse(time.asText());
                } catch (DateTimeParseException e) {
                    add("time", "must be an RFC 3339 timestamp, is '" + time.asText() + "'");
                }
            }
            JsonNode contentType = root.get("datacontenttype");
            if (contentType != null && !JSON_CONTENT_TYPE.matcher(contentType.asText()).matches()) {
                add("datacontenttype", "must be " + DATA_CONTENT_TYPE + ", is '" + contentType.asText() + "'");
            }
            if (root.has("data_base64")) {
                add("data_base64", "the payload must be JSON in 'data', not base64");
            }
            JsonNode data = root.get("data");
            if (data == null || data.isNull()) {
                add(null, "missing required attribute 'data' (the payload)");
            } else if (!data.isObject()) {
                add("data", "must be a JSON object, not " + SchemaValidator.jsonType(data));
            }
            return errors;
        }

        private String requiredText(String name) {
            JsonNode value = root.get(name);
            if (value == null || value.isNull()) {
                add(null, "missing required attribute '" + name + "'");
                return null;
            }
            if (!value.isTextual()) {
                add(name, "must be a string, not " + SchemaValidator.jsonType(value));
                return null;
            }
            if (value.asText().isBlank()) {
                add(name, "must not be empty");
                return null;
            }
            return value.asText();
        }

        private void add(String attribute, String message) {
            errors.add(error(attribute == null ? NodePath.ROOT : NodePath.of(attribute), locator, message));
        }
    }

    /** A set of strings that forgets everything once it holds {@code capacity} of them. Thread-safe. */
    private static final class BoundedSet {
        private final int capacity;
        private final Set<String> values = java.util.concurrent.ConcurrentHashMap.newKeySet();

        BoundedSet(int capacity) {
            this.capacity = capacity;
        }

        boolean contains(String value) {
            return values.contains(value);
        }

        void add(String value) {
            if (values.size() >= capacity) {
                values.clear();
            }
            values.add(value);
        }
    }
}
