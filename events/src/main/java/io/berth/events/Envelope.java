package io.berth.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.json.Json;
import java.time.OffsetDateTime;

/**
 * A decoded, validated CloudEvents envelope. {@code subject} is the task id; {@code data} is the
 * payload as JSON (snake_case), already checked against the schema of {@code type}.
 */
public record Envelope(String id, String source, String type, String subject, OffsetDateTime time, JsonNode data) {

    /** The payload as the given record type, e.g. {@code envelope.payload(TaskStarted.class)}. */
    public <T> T payload(Class<T> payloadType) {
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
