package io.berth.events;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.json.Json;
import io.berth.events.validation.ValidationError;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CloudEvents Kafka protocol binding, as far as Berth needs it, without a Kafka dependency (headers come as a
 * map of header name to UTF-8 text).
 *
 * <p><b>Structured mode</b> (what Berth writes): the record's value is the whole event as JSON and the header
 * {@code content-type: application/cloudevents+json; charset=UTF-8} says so. <b>Binary mode</b> (what the
 * CloudEvents SDK writes by default): each attribute is a {@code ce_<name>} header, the value is the payload, and
 * {@code content-type} is the payload's {@code datacontenttype}. A record is read as binary mode when it has a
 * {@code ce_specversion} header and its {@code content-type} is not a CloudEvents format; otherwise as structured
 * mode (a record without headers, as older Berth producers wrote them, included).
 */
public final class KafkaBinding {
    /** The Kafka header naming the format of the value. */
    public static final String CONTENT_TYPE_HEADER = "content-type";
    /** Its value on every event Berth writes. */
    public static final String STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8";
    /** Binary mode's attribute headers start with this. */
    public static final String ATTRIBUTE_PREFIX = "ce_";

    private KafkaBinding() {}

    /** True when the record is a binary-mode event (attributes in {@code ce_*} headers). */
    public static boolean isBinary(Map<String, String> headers) {
        if (headers == null || !headers.containsKey(ATTRIBUTE_PREFIX + "specversion")) {
            return false;
        }
        String contentType = headers.get(CONTENT_TYPE_HEADER);
        return contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/cloudevents");
    }

    /**
     * The binary-mode event as the structured-mode JSON it stands for: every {@code ce_*} header an attribute,
     * {@code content-type} the {@code datacontenttype}, the value (JSON) the {@code data}.
     *
     * @throws InvalidEventException when the value is not JSON
     */
    public static ObjectNode toStructured(Map<String, String> headers, byte[] value) {
        ObjectNode event = Json.MAPPER.createObjectNode();
        headers.forEach((name, text) -> {
            if (name.startsWith(ATTRIBUTE_PREFIX) && name.length() > ATTRIBUTE_PREFIX.length() && text != null) {
                event.put(name.substring(ATTRIBUTE_PREFIX.length()), text);
            }
        });
        String contentType = headers.get(CONTENT_TYPE_HEADER);
        if (contentType != null) {
            event.put("datacontenttype", contentType);
        }
        if (value != null && value.length > 0) {
            try {
                event.set("data", Json.MAPPER.readTree(value));
            } catch (JsonProcessingException e) {
                JsonLocation at = e.getLocation();
                throw new InvalidEventException(InvalidEventException.Problem.MALFORMED,
                        List.of(new ValidationError("$.data",
                                at == null ? null : at.getLineNr(), at == null ? null : at.getColumnNr(),
                                "malformed JSON: the record's value (binary mode: the payload) is not JSON: "
                                        + e.getOriginalMessage())));
            } catch (IOException e) {
                throw new InvalidEventException(InvalidEventException.Problem.MALFORMED,
                        List.of(ValidationError.at("$.data", "unreadable event: " + e.getMessage())));
            }
        }
        return event;
    }

    /**
     * The event's {@code type}, {@code id}, {@code source} and {@code subject} as far as they can be read from a
     * record that may be invalid (for dead letters and for answering a rejected task); absent ones are left out.
     */
    public static Map<String, String> lenientAttributes(Map<String, String> headers, byte[] value) {
        Map<String, String> out = new HashMap<>();
        JsonNode root = null;
        if (isBinary(headers)) {
            for (String name : List.of("type", "id", "source", "subject")) {
                String text = headers.get(ATTRIBUTE_PREFIX + name);
                if (text != null) {
                    out.put(name, text);
                }
            }
            try {
                root = Json.MAPPER.createObjectNode().set("data", Json.MAPPER.readTree(value));
            } catch (Exception e) {
                return out;
            }
        } else if (value != null && value.length <= EventCodec.MAX_EVENT_BYTES) {
            try {
                root = Json.MAPPER.readTree(value);
            } catch (Exception e) {
                return out;
            }
            for (String name : List.of("type", "id", "source", "subject")) {
                JsonNode node = root == null ? null : root.get(name);
                if (node != null && node.isTextual()) {
                    out.put(name, node.asText());
                }
            }
        }
        JsonNode taskId = root == null ? null : root.path("data").get("task_id");
        if (taskId != null && taskId.isTextual() && !taskId.asText().isBlank()) {
            out.put("task_id", taskId.asText());
        }
        return out;
    }
}
