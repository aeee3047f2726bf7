package io.berth.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.validation.NodePath;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;

/**
 * jqwik generators shared by the property tests: arbitrary JSON trees, values of the wrong type or out
 * of range, hostile strings, and "one field changed" mutations of a valid document.
 */
public final class JsonArbitraries {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Names no service, port or prototype may have: path traversal, separators, control characters, shell syntax. */
    public static final List<String> HOSTILE_NAMES = List.of(
            "", "..", "../../etc/passwd", "a/b", "/etc", "a\\b", "db\u0000", "db\n", "db\r\n", "\ndb", " db", "db ",
            "d b", "$(reboot)", "`id`", "db;rm -rf /", "a|b", "a&&b", "${HOME}", "a'b", "a\"b", "-rf", "db\u202e",
            "dé", "((.svc:db.address))", "*", "~root");

    /** Keys the schemas know, so generated objects reach past "unknown field" into the interesting checks. */
    public static final List<String> SCHEMA_KEYS = List.of(
            "specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data", "data_base64",
            "task_id", "worker", "network", "mode", "path", "services", "name", "file", "config", "image", "params",
            "inputs", "ports", "number", "run", "args", "startup_probe", "failure_threshold", "period_seconds",
            "termination_grace_seconds", "resources", "memory", "cpus", "image_resource", "source", "service",
            "generation", "host", "outcome", "signal", "duration_millis", "exit_code", "log_tail", "task");

    private JsonArbitraries() {}

    /** Any JSON value, nested at most {@code depth} levels, objects mostly keyed by {@link #SCHEMA_KEYS}. */
    public static Arbitrary<JsonNode> trees(int depth) {
        Arbitrary<JsonNode> leaves = scalars();
        if (depth == 0) {
            return leaves;
        }
        Arbitrary<JsonNode> child = trees(depth - 1);
        Arbitrary<String> keys = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of(SCHEMA_KEYS)),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(8)));
        Arbitrary<JsonNode> arrays = child.list().ofMaxSize(4).map(JsonArbitraries::array);
        Arbitrary<JsonNode> objects = Arbitraries.maps(keys, child).ofMaxSize(5).map(JsonArbitraries::object);
        return Arbitraries.frequencyOf(Tuple.of(3, leaves), Tuple.of(1, arrays), Tuple.of(2, objects));
    }

    /** Strings, numbers at the edges of every range, booleans and null. */
    public static Arbitrary<JsonNode> scalars() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(12).map(NODES::textNode),
                Arbitraries.of(HOSTILE_NAMES).map(NODES::textNode),
                Arbitraries.longs().map(NODES::numberNode),
                Arbitraries.of(edgeNumbers()),
                Arbitraries.doubles().map(NODES::numberNode),
                Arbitraries.of(NODES.booleanNode(true), NODES.booleanNode(false), NODES.nullNode()));
    }

    /** What a field is replaced with: another type, an edge number, a hostile or huge string, an unknown type name. */
    public static Arbitrary<JsonNode> replacements() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of(edgeNumbers())),
                Tuple.of(4, Arbitraries.of(HOSTILE_NAMES).map(NODES::textNode)),
                Tuple.of(2, Arbitraries.of(wrongTypes())),
                Tuple.of(1, Arbitraries.of("berth.task.paused.v1", "berth.task.started.v2", "BERTH.TASK.ENDED.V1",
                        "no-such-prototype").map(NODES::textNode)),
                Tuple.of(1, Arbitraries.just(NODES.textNode("x".repeat(10_000)))),
                Tuple.of(2, trees(2)));
    }

    private static List<JsonNode> edgeNumbers() {
        return List.of(NODES.numberNode(0), NODES.numberNode(-1), NODES.numberNode(1), NODES.numberNode(65535),
                NODES.numberNode(65536), NODES.numberNode(Integer.MAX_VALUE), NODES.numberNode(1L + Integer.MAX_VALUE),
                NODES.numberNode(4_294_967_295L), NODES.numberNode(4_294_967_296L + 80), NODES.numberNode(Long.MAX_VALUE),
                NODES.numberNode(BigInteger.TWO.pow(70)), NODES.numberNode(-0.0), NODES.numberNode(0.5),
                NODES.numberNode(80.0), NODES.numberNode(1e300), NODES.numberNode(-1e-300), NODES.numberNode(1e-300));
    }

    private static List<JsonNode> wrongTypes() {
        return List.of(NODES.nullNode(), NODES.booleanNode(true), NODES.textNode("1"), NODES.numberNode(3),
                NODES.arrayNode(), NODES.objectNode(), array(List.of(NODES.numberNode(1))),
                object(Map.of("x", NODES.numberNode(1))));
    }

    /** Every mutation of one node of {@code document}: removed (null replacement) or replaced. */
    public static Arbitrary<Mutation> mutationsOf(JsonNode document, Arbitrary<JsonNode> replacements) {
        List<List<Object>> paths = new ArrayList<>();
        collectPaths(document, new ArrayList<>(), paths);
        Arbitrary<JsonNode> replacementOrRemoval = replacements.injectNull(0.15);
        return Arbitraries.of(paths).flatMap(path -> replacementOrRemoval.map(value -> new Mutation(path, value)));
    }

    private static void collectPaths(JsonNode node, List<Object> here, List<List<Object>> out) {
        if (!here.isEmpty()) {
            out.add(List.copyOf(here));
        }
        if (node.isObject()) {
            node.fieldNames().forEachRemaining(name -> {
                here.add(name);
                collectPaths(node.get(name), here, out);
                here.remove(here.size() - 1);
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                here.add(i);
                collectPaths(node.get(i), here, out);
                here.remove(here.size() - 1);
            }
        }
    }

    /**
     * True when one path lies inside the other (or they are equal): an error about a node, its
     * container or its content is an error about that node.
     */
    public static boolean related(String errorPath, String mutatedPath) {
        return encloses(errorPath, mutatedPath) || encloses(mutatedPath, errorPath);
    }

    private static boolean encloses(String outer, String inner) {
        return inner.startsWith(outer) && (inner.length() == outer.length()
                || inner.charAt(outer.length()) == '.' || inner.charAt(outer.length()) == '[');
    }

    private static ArrayNode array(List<JsonNode> items) {
        ArrayNode array = NODES.arrayNode();
        items.forEach(array::add);
        return array;
    }

    private static ObjectNode object(Map<String, JsonNode> fields) {
        ObjectNode object = NODES.objectNode();
        fields.forEach(object::set);
        return object;
    }

    /**
     * One node of a document removed ({@code replacement} null) or replaced.
     *
     * @param path property names and array indexes from the root
     */
    public record Mutation(List<Object> path, JsonNode replacement) {
        public String jsonPath() {
            return NodePath.of(path.toArray()).toString();
        }

        public String lastName() {
            Object last = path.get(path.size() - 1);
            return last instanceof String name ? name : null;
        }

        public boolean isRemoval() {
            return replacement == null;
        }

        /** A mutated copy of {@code document}. */
        public JsonNode applyTo(JsonNode document) {
            JsonNode copy = document.deepCopy();
            JsonNode parent = copy;
            for (Object element : path.subList(0, path.size() - 1)) {
                parent = element instanceof Integer i ? parent.get(i) : parent.get((String) element);
            }
            Object last = path.get(path.size() - 1);
            if (parent instanceof ObjectNode object) {
                if (replacement == null) {
                    object.remove((String) last);
                } else {
                    object.set((String) last, replacement);
                }
            } else if (parent instanceof ArrayNode array) {
                if (replacement == null) {
                    array.remove((Integer) last);
                } else {
                    array.set((Integer) last, replacement);
                }
            }
            return copy;
        }

        @Override
        public String toString() {
            String value = replacement == null ? "(removed)" : replacement.toString();
            return jsonPath() + " := " + (value.length() > 80 ? value.substring(0, 80) + "… (" + value.length() + " chars)" : value);
        }
    }
}
