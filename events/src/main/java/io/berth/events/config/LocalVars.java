package io.berth.events.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Concourse's local vars, {@code ((.:NAME))} (and {@code ((.:NAME.FIELD))} into an object value), as an
 * {@code across} step binds them. The {@code .svc} source and every other var source are left alone.
 */
public final class LocalVars {
    private static final Pattern REFERENCE = Pattern.compile("\\(\\(\\s*\\.:\\s*([^()\\s]+?)\\s*\\)\\)");

    private LocalVars() {}

    /**
     * A copy of {@code tree} with each reference replaced by its value: a string that is one reference alone
     * becomes the value itself (so {@code number: ((.:port))} stays a number), a reference inside a longer string
     * becomes the value's text. A reference to a var not in {@code values} is left as it is, for the caller to
     * report with its location (bin/berth's variable check does, with every other unresolvable variable).
     */
    static JsonNode interpolate(JsonNode tree, Map<String, JsonNode> values) {
        if (tree.isTextual()) {
            String text = tree.asText();
            Matcher whole = REFERENCE.matcher(text);
            if (whole.matches()) {
                JsonNode value = lookup(whole.group(1), values);
                return value == null ? tree : value.deepCopy();
            }
            Matcher m = REFERENCE.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                JsonNode value = lookup(m.group(1), values);
                m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : text(value)));
            }
            m.appendTail(out);
            return TextNode.valueOf(out.toString());
        }
        if (tree.isObject()) {
            ObjectNode copy = ((ObjectNode) tree).objectNode();
            tree.fields().forEachRemaining(f -> copy.set(f.getKey(), interpolate(f.getValue(), values)));
            return copy;
        }
        if (tree.isArray()) {
            ArrayNode copy = ((ArrayNode) tree).arrayNode();
            tree.forEach(item -> copy.add(interpolate(item, values)));
            return copy;
        }
        return tree;
    }

    /** A value as it reads in a string or a label: text as it is, anything else as JSON. */
    public static String text(JsonNode value) {
        return value.isValueNode() ? value.asText() : value.toString();
    }

    /** The value a reference stands for; null when its var is not bound. */
    private static JsonNode lookup(String reference, Map<String, JsonNode> values) {
        List<String> parts = new ArrayList<>(List.of(reference.split("\\.")));
        JsonNode value = values.get(parts.remove(0));
        if (value == null) {
            return null;
        }
        for (String field : parts) {
            if (value == null || !value.isObject() || !value.has(field)) {
                throw new IllegalArgumentException("((.:" + reference + ")) has no field '" + field + "'");
            }
            value = value.get(field);
        }
        return value;
    }
}
