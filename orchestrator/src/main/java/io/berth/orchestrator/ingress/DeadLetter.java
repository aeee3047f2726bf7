package io.berth.orchestrator.ingress;

import io.berth.events.json.Json;
import io.berth.events.validation.ValidationError;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;

/**
 * The value of a {@code berth.dead-letter} record: why a record was rejected, where it came from, and the
 * record itself. Written as snake_case JSON; absent fields are left out. The dead letter keeps the
 * rejected record's key, so a producer finds its own rejections by task id.
 *
 * <pre>{@code
 * {"reason": "invalid-service-config",
 *  "message": "invalid event: $.data.services[0].config.ports[0].number (line 1, column 210): must be ...",
 *  "errors": [{"path": "$.data.services[0].config.ports[0].number", "line": 1, "column": 210, "message": "..."}],
 *  "topic": "berth.task-events", "partition": 0, "offset": 41, "key": "task-7",
 *  "event_type": "berth.task.started.v1", "event_id": "…", "event_source": "ci://…",
 *  "original": "{\"specversion\": …}", "original_encoding": "utf-8",
 *  "rejected_by": "berth://orchestrator/host-1", "rejected_at": "2026-01-01T12:00:00Z"}
 * }</pre>
 *
 * @param reason           why, as a stable code
 * @param message          a human-readable explanation
 * @param errors           every validation problem found (may be empty)
 * @param original         the rejected value as UTF-8 text, or base64 when it is not valid UTF-8
 * @param originalEncoding {@code utf-8} or {@code base64}; absent when the record had no value
 * @param originalHeaders  the record's CloudEvents headers ({@code ce_*}, {@code content-type}): a binary-mode event's
 *                         attributes are there, not in the value; absent when it had none
 * @param originalTruncated true when {@code original} holds only the first {@value #MAX_ORIGINAL_CHARS} characters
 *                         (so that a dead letter always fits in a Kafka record); absent otherwise
 */
public record DeadLetter(Reason reason, String message, List<ValidationError> errors, String topic, int partition,
                         long offset, String key, String eventType, String eventId, String eventSource,
                         String original, String originalEncoding, java.util.Map<String, String> originalHeaders,
                         String rejectedBy, String rejectedAt, Boolean originalTruncated) {
    /** The most of a rejected value a dead letter carries. */
    public static final int MAX_ORIGINAL_CHARS = 256 * 1024;
    /** The longest message a dead letter carries. */
    public static final int MAX_MESSAGE_CHARS = 8 * 1024;
    /** The most CloudEvents headers a dead letter keeps, and the longest value of each. */
    public static final int MAX_HEADERS = 32;
    public static final int MAX_HEADER_CHARS = 1024;
    /** The most validation errors a dead letter lists (a 7,000-service event can have thousands). */
    public static final int MAX_ERRORS = 100;

    public DeadLetter {
        errors = errors == null ? List.of() : List.copyOf(errors);
    }

    /** Why a record was rejected: a stable code (its JSON value, and the {@code reason} tag of the metric). */
    public enum Reason {
        /** The record has no value (or an empty one). */
        EMPTY_RECORD("empty-record"),
        /** The value is not JSON (or not UTF-8 JSON). */
        MALFORMED_JSON("malformed-json"),
        /** Larger than {@code EventCodec.MAX_EVENT_BYTES}. */
        TOO_LARGE("too-large"),
        /** A CloudEvent whose {@code type} Berth does not know. */
        UNKNOWN_TYPE("unknown-type"),
        /** A known type on the wrong topic, e.g. a service event on {@code berth.task-events}. */
        UNEXPECTED_TYPE("unexpected-type"),
        /** The envelope or payload violates its schema. */
        INVALID_EVENT("invalid-event"),
        /** A {@code task.started} whose services list is invalid: a bad inline config, a name used twice, … */
        INVALID_SERVICE_CONFIG("invalid-service-config"),
        /** A {@code task.started} that names no services. */
        NO_SERVICES("no-services"),
        /** The Kafka key is not the event's subject (the task id): ordering per task would break. */
        KEY_MISMATCH("key-mismatch"),
        /** A valid event that the orchestrator failed to handle (a bug); it was skipped. */
        PROCESSING_ERROR("processing-error");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        @com.fasterxml.jackson.annotation.JsonValue
        public String code() {
            return code;
        }

        @Override
        public String toString() {
            return code;
        }
    }

    /**
     * The dead letter of the rejected record, with its original value — its secret params masked
     * ({@link MaskedRecord}), so a dead letter shows no more than the admin API would.
     */
    public static DeadLetter of(Rejection rejection, String topic, int partition, long offset, String key,
                                byte[] rejectedValue, String rejectedBy) {
        return of(rejection, topic, partition, offset, key, java.util.Map.of(), rejectedValue, rejectedBy);
    }

    /** The same, keeping the record's CloudEvents headers (binary mode's attributes). */
    public static DeadLetter of(Rejection rejection, String topic, int partition, long offset, String key,
                                java.util.Map<String, String> headers, byte[] rejectedValue, String rejectedBy) {
        java.util.Map<String, String> eventHeaders = new java.util.TreeMap<>();
        headers.forEach((name, text) -> {
            boolean event = name.startsWith(io.berth.events.KafkaBinding.ATTRIBUTE_PREFIX)
                    || name.equals(io.berth.events.KafkaBinding.CONTENT_TYPE_HEADER);
            // bounded like the rest of a dead letter: it must fit in a record whatever the rejected one carried
            if (event && eventHeaders.size() < MAX_HEADERS) {
                eventHeaders.put(name, text.length() > MAX_HEADER_CHARS ? text.substring(0, MAX_HEADER_CHARS) + "…"
                        : text);
            }
        });
        MaskedRecord masked = MaskedRecord.of(rejectedValue);
        byte[] value = masked.value();
        String original = null;
        String encoding = null;
        if (value != null) {
            try {
                original = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(value)).toString();
                encoding = "utf-8";
            } catch (CharacterCodingException e) {
                original = Base64.getEncoder().encodeToString(value);
                encoding = "base64";
            }
        }
        Boolean truncated = null;
        if (original != null && original.length() > MAX_ORIGINAL_CHARS) {
            original = original.substring(0, MAX_ORIGINAL_CHARS);
            truncated = true;
        }
        List<ValidationError> errors = rejection.errors().stream().limit(MAX_ERRORS)
                .map(e -> new ValidationError(e.path(), e.line(), e.column(), masked.mask(e.message()))).toList();
        String message = masked.mask(rejection.message());
        if (message != null && message.length() > MAX_MESSAGE_CHARS) {
            message = message.substring(0, MAX_MESSAGE_CHARS) + "…";
        }
        return new DeadLetter(rejection.reason(), message, errors, topic, partition, offset,
                key, rejection.eventType(), rejection.eventId(), rejection.eventSource(), original, encoding,
                eventHeaders.isEmpty() ? null : eventHeaders, rejectedBy, OffsetDateTime.now(ZoneOffset.UTC).toString(),
                truncated);
    }

    public byte[] toJson() {
        return Json.bytes(this);
    }
}
