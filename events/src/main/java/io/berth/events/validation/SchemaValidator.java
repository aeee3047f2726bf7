package io.berth.events.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Validates JSON against Berth's JSON Schemas (draft 2020-12), loaded from {@code /schemas/} on the
 * classpath; schemas refer to each other by their {@code $id} ({@value #BASE_URI}NAME). Every problem
 * is reported, with its JSON path, its source position when a {@link SourceLocator} knows it, and a
 * message written for people. Thread-safe; compiled schemas are cached.
 */
public final class SchemaValidator {
    public static final String BASE_URI = "https://berth.io/schemas/";
    private static final SchemaValidator SHARED = new SchemaValidator();

    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
            builder -> builder.schemaMappers(mappers -> mappers.mapPrefix(BASE_URI, "classpath:schemas/")));
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
            .pathType(PathType.JSON_POINTER)
            .formatAssertionsEnabled(true)
            .regularExpressionFactory(EndAnchoredRegex.FACTORY)
            .build();
    private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();
    private final Map<String, JsonNode> rawSchemas = new ConcurrentHashMap<>();
    private final ObjectMapper plain = new ObjectMapper();

    private SchemaValidator() {}

    public static SchemaValidator shared() {
        return SHARED;
    }

    /** The schema document {@code name} (e.g. {@code service-config.json}) as JSON. */
    public JsonNode schemaDocument(String name) {
        return rawSchemas.computeIfAbsent(name, n -> {
            try (InputStream in = SchemaValidator.class.getResourceAsStream("/schemas/" + n)) {
                if (in == null) {
                    throw new IllegalArgumentException("no schema /schemas/" + n + " on the classpath");
                }
                return plain.readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * Validates {@code node} against the schema {@code name} (optionally a fragment:
     * {@code task-step.json#/$defs/service}).
     *
     * @param base    where {@code node} sits in the whole document (its paths are prefixed with it)
     * @param locator source positions, looked up by full path
     */
    public List<ValidationError> validate(String name, JsonNode node, NodePath base, SourceLocator locator) {
        JsonSchema schema = schemas.computeIfAbsent(name,
                n -> factory.getSchema(SchemaLocation.of(BASE_URI + n), config));
        Map<String, ValidationError> errors = new LinkedHashMap<>();
        for (ValidationMessage message : schema.validate(node)) {
            ValidationError error = describe(message, base, locator);
            errors.putIfAbsent(error.toString(), error);
        }
        List<ValidationError> sorted = new ArrayList<>(errors.values());
        sorted.sort(BY_POSITION);
        return sorted;
    }

    /** Orders errors as they appear in the source, unknown positions last. */
    public static final Comparator<ValidationError> BY_POSITION = Comparator
            .comparing((ValidationError e) -> e.line() == null ? Integer.MAX_VALUE : e.line())
            .thenComparing(e -> e.column() == null ? Integer.MAX_VALUE : e.column())
            .thenComparing(ValidationError::path);

    private ValidationError describe(ValidationMessage message, NodePath base, SourceLocator locator) {
        NodePath path = base.resolve(toNodePath(message.getInstanceLocation()));
        String text;
        boolean atKey = false;
        switch (message.getType()) {
            case "additionalProperties", "unevaluatedProperties" -> {
                path = path.property(message.getProperty());
                atKey = true;
                text = "unknown field '" + message.getProperty() + "'" + suggestion(message);
            }
            case "required" -> text = "missing required field '" + message.getProperty() + "'";
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" -> text = range(message);
            case "type" -> text = "must be " + expected(message) + ", not " + jsonType(message.getInstanceNode());
            case "not" -> text = isNullType(message.getSchemaNode()) ? "must not be null" : withoutPath(message);
            case "enum" -> text = "must be one of " + choices(message.getSchemaNode()) + ", is "
                    + message.getInstanceNode();
            case "const" -> text = "must be " + message.getSchemaNode();
            default -> text = withoutPath(message);
        }
        Position position = locator.nearest(path, atKey);
        return position == null ? ValidationError.at(path.toString(), text)
                : new ValidationError(path.toString(), position.line(), position.column(), text);
    }

    private static NodePath toNodePath(JsonNodePath location) {
        NodePath path = NodePath.ROOT;
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            path = element instanceof Integer index ? path.index(index) : path.property(element.toString());
        }
        return path;
    }

    private static String withoutPath(ValidationMessage message) {
        String text = message.getMessage();
        String prefix = message.getInstanceLocation().toString() + ": ";
        if (text.startsWith(prefix)) {
            return text.substring(prefix.length());
        }
        int colon = text.indexOf(": ");
        return colon > 0 && (text.startsWith("/") || text.startsWith("$")) ? text.substring(colon + 2) : text;
    }

    /** The schema object that holds the failing keyword, e.g. the {@code {minimum, maximum}} of a port number. */
    private JsonNode keywordParent(ValidationMessage message) {
        SchemaLocation location = message.getSchemaLocation();
        String iri = location.getAbsoluteIri() == null ? "" : location.getAbsoluteIri().toString();
        if (!iri.startsWith(BASE_URI)) {
            return null;
        }
        JsonNode node = schemaDocument(iri.substring(BASE_URI.length()));
        JsonNodePath fragment = location.getFragment();
        for (int i = 0; node != null && i < fragment.getNameCount() - 1; i++) {
            Object element = fragment.getElement(i);
            node = element instanceof Integer index ? node.get(index) : node.get(element.toString());
        }
        return node;
    }

    private String range(ValidationMessage message) {
        JsonNode schema = keywordParent(message);
        if (schema != null) {
            JsonNode min = schema.has("minimum") ? schema.get("minimum") : null;
            JsonNode max = schema.has("maximum") ? schema.get("maximum") : null;
            JsonNode exclusiveMin = schema.get("exclusiveMinimum");
            if (min != null && max != null) {
                return "must be between " + min.asText() + " and " + max.asText();
            }
            if (exclusiveMin != null && max != null) {
                return "must be greater than " + exclusiveMin.asText() + " and at most " + max.asText();
            }
            if (exclusiveMin != null) {
                return "must be greater than " + exclusiveMin.asText();
            }
            if (min != null && max == null) {
                return "must be at least " + min.asText();
            }
        }
        return withoutPath(message);
    }

    private String suggestion(ValidationMessage message) {
        JsonNode schema = keywordParent(message);
        JsonNode properties = schema == null ? null : schema.get("properties");
        if (properties == null) {
            return "";
        }
        String unknown = message.getProperty();
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (var it = properties.fieldNames(); it.hasNext(); ) {
            String candidate = it.next();
            int distance = editDistance(unknown.toLowerCase(), candidate.toLowerCase());
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        boolean close = best != null && bestDistance <= Math.max(1, Math.min(3, unknown.length() / 3));
        List<String> known = new ArrayList<>();
        properties.fieldNames().forEachRemaining(known::add);
        return close ? " (did you mean '" + best + "'?)" : " (known fields: " + String.join(", ", known) + ")";
    }

    /** Edit distance counting a swap of neighbours as one edit (optimal string alignment). */
    private static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static boolean isNullType(JsonNode schema) {
        return schema != null && schema.size() == 1 && "null".equals(schema.path("type").asText());
    }

    private static String choices(JsonNode values) {
        List<String> texts = new ArrayList<>();
        values.forEach(v -> texts.add(v.toString()));
        return String.join(", ", texts);
    }

    private static String expected(ValidationMessage message) {
        JsonNode type = message.getSchemaNode();
        List<String> names = new ArrayList<>();
        if (type != null && type.isArray()) {
            type.forEach(t -> names.add(article(t.asText())));
        } else if (type != null) {
            names.add(article(type.asText()));
        }
        return names.isEmpty() ? "of another type" : String.join(" or ", names);
    }

    private static String article(String type) {
        return switch (type) {
            case "integer", "object", "array" -> "an " + type;
            case "null" -> "null";
            default -> "a " + type;
        };
    }

    /** The JSON type name of a value, for messages. */
    public static String jsonType(JsonNode node) {
        if (node == null || node.isNull()) {
            return "null";
        }
        if (node.isIntegralNumber()) {
            return "an integer";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        return node.isArray() ? "an array" : "an object";
    }
}
