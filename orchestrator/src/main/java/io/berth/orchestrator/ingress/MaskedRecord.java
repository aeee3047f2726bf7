package io.berth.orchestrator.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.berth.events.config.Secrets;
import io.berth.events.json.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A rejected record as a dead letter may show it: every secret param ({@link Secrets#isSecretName}) of every
 * {@code params} object in it masked, and its values masked wherever else they appear (an arg, a message). A value
 * that is not JSON cannot be searched for params and is kept as it is.
 */
final class MaskedRecord {
    private final byte[] value;
    private final List<String> secrets;

    private MaskedRecord(byte[] value, List<String> secrets) {
        this.value = value;
        this.secrets = secrets;
    }

    static MaskedRecord of(byte[] value) {
        if (value == null) {
            return new MaskedRecord(null, List.of());
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(value);
        } catch (Exception e) {
            return new MaskedRecord(value, List.of());
        }
        if (root == null || !root.isContainerNode()) {
            return new MaskedRecord(value, List.of());
        }
        Set<String> found = new TreeSet<>((a, b) -> a.length() != b.length() ? b.length() - a.length() : a.compareTo(b));
        collectAndMaskParams(root, found);
        if (found.isEmpty()) {
            return new MaskedRecord(value, List.of());
        }
        List<String> secrets = new ArrayList<>(found);
        return new MaskedRecord(Json.bytes(maskText(root, secrets)), secrets);
    }

    /** The record's value with its secrets masked (re-serialised when it held any). */
    byte[] value() {
        return value;
    }

    /** {@code text} (e.g. a validation message quoting a value) with the record's secrets masked. */
    String mask(String text) {
        return Secrets.mask(text, secrets);
    }

    private static void collectAndMaskParams(JsonNode node, Set<String> found) {
        if (node instanceof ObjectNode object) {
            JsonNode params = object.get("params");
            if (params instanceof ObjectNode paramObject) {
                Map<String, Object> plain = new java.util.LinkedHashMap<>();
                paramObject.fields().forEachRemaining(e -> plain.put(e.getKey(),
                        e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
                found.addAll(Secrets.values(plain));
                for (Iterator<String> names = paramObject.fieldNames(); names.hasNext(); ) {
                    String name = names.next();
                    if (Secrets.isSecretName(name) && !paramObject.get(name).isNull()) {
                        paramObject.put(name, Secrets.MASK);
                    }
                }
            }
            object.elements().forEachRemaining(child -> collectAndMaskParams(child, found));
        } else if (node instanceof ArrayNode array) {
            array.elements().forEachRemaining(child -> collectAndMaskParams(child, found));
        }
    }

    private static JsonNode maskText(JsonNode node, List<String> secrets) {
        if (node instanceof ObjectNode object) {
            object.fields().forEachRemaining(e -> e.setValue(maskText(e.getValue(), secrets)));
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, maskText(array.get(i), secrets));
            }
        } else if (node.isTextual()) {
            String masked = Secrets.mask(node.asText(), secrets);
            return masked.equals(node.asText()) ? node : TextNode.valueOf(masked);
        }
        return node;
    }
}
