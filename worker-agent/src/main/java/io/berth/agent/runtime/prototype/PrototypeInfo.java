package io.berth.agent.runtime.prototype;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * A prototype's answer to {@code info}: {@code {"interface_version": "1.0", "messages": ["up", ...]}} (an
 * optional {@code icon} and anything else are ignored).
 */
public record PrototypeInfo(String interfaceVersion, List<String> messages) {
    /** Versions this agent speaks: 1.x. */
    static final String SUPPORTED_MAJOR = "1";
    private static final ObjectMapper JSON = new ObjectMapper();

    public PrototypeInfo {
        messages = List.copyOf(messages);
    }

    public boolean supports(String message) {
        return messages.contains(message);
    }

    /**
     * Reads an info response.
     *
     * @throws IllegalArgumentException saying what is wrong with it, for the prototype's author
     */
    public static PrototypeInfo parse(String json) {
        if (json.isBlank()) {
            throw new IllegalArgumentException("info wrote nothing to its response_path");
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("info's response is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("info's response must be a JSON object, not " + brief(json));
        }
        JsonNode version = root.get("interface_version");
        if (version == null || !version.isTextual()) {
            throw new IllegalArgumentException("info's response has no \"interface_version\" string (expected \"1.0\")");
        }
        String v = version.asText();
        if (!(v.equals(SUPPORTED_MAJOR) || v.startsWith(SUPPORTED_MAJOR + "."))) {
            throw new IllegalArgumentException("interface_version \"" + v + "\" is not supported (this worker speaks 1.x)");
        }
        JsonNode list = root.get("messages");
        List<String> messages = new ArrayList<>();
        if (list != null && !list.isNull()) {
            if (!list.isArray()) {
                throw new IllegalArgumentException("info's \"messages\" must be an array of message names");
            }
            for (JsonNode m : list) {
                if (!m.isTextual()) {
                    throw new IllegalArgumentException("info's \"messages\" must hold strings, not " + m);
                }
                messages.add(m.asText());
            }
        }
        return new PrototypeInfo(v, messages);
    }

    private static String brief(String s) {
        String t = s.strip();
        return t.length() > 60 ? t.substring(0, 60) + "..." : t;
    }
}
