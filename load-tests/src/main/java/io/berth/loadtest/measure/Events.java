package io.berth.loadtest.measure;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.Envelope;
import io.berth.events.json.Json;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * Reads Berth's events without validating them against their schemas: the generator measures Berth,
 * it does not judge its output (Berth's own tests do), and it must stay light on a shared machine.
 */
public final class Events {
    private Events() {}

    /** The envelope, or null when the bytes are not a JSON object with a type and a time. */
    public static Envelope read(byte[] bytes) {
        try {
            JsonNode root = Json.MAPPER.readTree(bytes);
            if (root == null || !root.hasNonNull("type") || !root.hasNonNull("time")) {
                return null;
            }
            return new Envelope(root.path("id").asText(), root.path("source").asText(), root.get("type").asText(),
                    root.path("subject").asText(null), OffsetDateTime.parse(root.get("time").asText()),
                    root.get("data"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The event's {@code time} in epoch microseconds. */
    public static long micros(Envelope envelope) {
        return micros(envelope.time().toInstant());
    }

    public static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
    }
}
