package io.berth.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.json.Json;
import java.time.OffsetDateTime;

/**
 * A decoded, validated CloudEvents envelope. {@code subject} is the task id; {@code data} is the
 * payload as JSON (snake_case), already checked against the schema of {@code type}; {@code decoded} is the same
 * payload as its record when the codec already read it (it does, to validate it), so that it is read only once.
 */
public record Envelope(String id, String source, String type, String subject, OffsetDateTime time, JsonNode data,
                       Object decoded) {

    /** An envelope whose payload is read from {@code data} when asked for. */
    public Envelope(String id, String source, String type, String subject, OffsetDateTime time, JsonNode data) {
        this(id, source, type, subject, time, data, null);
    }

    /** The payload as the given record type, e.g. {@code envelope.payload(TaskStarted.class)}. */
    public <T> T payload(Class<T> payloadType) {
        if (payloadType.isInstance(decoded)) {
            return payloadType.cast(decoded); // payload records are immutable: sharing one is safe
        }
        try {
            return Json.MAPPER.treeToValue(data, payloadType);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("payload of " + type + " is not a " + payloadType.getSimpleName()
                    + ": " + e.getOriginalMessage(), e);
        }
    }

    /** The payload as the record registered for {@link #type()} (see {@link EventTypes#payloadType}). */
    public Object payload() {
        return payload(EventTypes.payloadType(type));
    }

    /** {@code source + " " + id}: equal for duplicates of one event, distinct otherwise. */
    public String dedupeKey() {
        return source + " " + id;
    }
}
