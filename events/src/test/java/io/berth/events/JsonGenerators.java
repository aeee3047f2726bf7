package io.berth.events;

import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.validation.NodePath;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * QuickTheories generators shared by the property tests: arbitrary JSON trees, values of the wrong type or
 * out of range, hostile strings, and "one field changed" mutations of a valid document.
 */
public final class JsonGenerators {
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

    private JsonGenerators() {}

    /** {@code gen} chosen {@code weight} times out of the sum of the weights (for {@link Generate#frequency}). */
    public static <T> Pair<Integer, Gen<T>> weighted(int weight, Gen<T> gen) {
        return Pair.of(weight, gen);
    }

    /** {@code gen}, or null in about {@code percent} of the cases. */
    public static <T> Gen<T> orNull(int percent, Gen<T> gen) {
        return Generate.frequency(weighted(percent, Generate.constant((T) null)), weighted(100 - percent, gen));
    }

    /**
     * Text of up to {@code maxLength} code points: mostly ASCII (control characters included), some of the
     * basic multilingual plane, some of all of Unicode (unpaired surrogates included). Shrinks towards short
     * strings of low code points.
     */
    public static Gen<String> text(int maxLength) {
        Gen<Integer> codePoints = Generate.frequency(
                weighted(3, integers().between(0, 0x7f)),
                weighted(1, integers().between(0, 0xfffd)),
                weighted(1, integers().between(0, Character.MAX_CODE_POINT)));
        return lists().of(codePoints).ofSizeBetween(0, maxLength)
                .map(points -> new String(points.stream().mapToInt(Integer::intValue).toArray(), 0, points.size()));
    }

    /** Any JSON value, nested at most {@code depth} levels, objects mostly keyed by {@link #SCHEMA_KEYS}. */
    public static Gen<JsonNode> trees(int depth) {
        Gen<JsonNode> leaves = scalars();
        if (depth == 0) {
            return leaves;
        }
        Gen<JsonNode> child = trees(depth - 1);
        Gen<String> keys = Generate.frequency(weighted(4, Generate.pick(SCHEMA_KEYS)), weighted(1, text(8)));
        Gen<JsonNode> arrays = lists().of(child).ofSizeBetween(0, 4).map(JsonGenerators::array);
        // Repeated keys collapse into one field, as in a map: at most five fields.
        Gen<JsonNode> objects = lists().of(keys.zip(child, Pair::of)).ofSizeBetween(0, 5).map(JsonGenerators::object);
        return Generate.frequency(weighted(3, leaves), weighted(1, arrays), weighted(2, objects));
    }

    /** Strings, numbers at the edges of every range, booleans and null. */
    public static Gen<JsonNode> scalars() {
        return Generate.oneOf(
                text(12).map(NODES::textNode),
                Generate.pick(HOSTILE_NAMES).map(NODES::textNode),
                longs().all().map(NODES::numberNode),
                Generate.pick(edgeNumbers()),
                finiteDoubles().map(NODES::numberNode),
                Generate.pick(List.of(NODES.booleanNode(true), NODES.booleanNode(false), NODES.nullNode())));
    }

    /** What a field is replaced with: another type, an edge number, a hostile or huge string, an unknown type name. */
    public static Gen<JsonNode> replacements() {
        return Generate.frequency(List.of(
                weighted(4, Generate.pick(edgeNumbers())),
                weighted(4, Generate.pick(HOSTILE_NAMES).map(NODES::textNode)),
                weighted(2, Generate.pick(wrongTypes())),
                weighted(1, Generate.pick(List.of("berth.task.paused.v1", "berth.task.started.v2", "BERTH.TASK.ENDED.V1",
                        "no-such-prototype")).map(NODES::textNode)),
                weighted(1, Generate.constant(NODES.textNode("x".repeat(10_000)))),
                weighted(2, trees(2))));
    }

    /** Doubles of any magnitude and sign, never NaN or infinite (JSON has neither). */
    private static Gen<Double> finiteDoubles() {
        return Generate.oneOf(doubles().between(-1e6, 1e6),
                longs().all().map(Double::longBitsToDouble).map(d -> Double.isFinite(d) ? d : Double.MAX_VALUE));
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
                object(List.of(Pair.of("x", NODES.numberNode(1)))));
    }

    /** Every mutation of one node of {@code document}: removed (15 %) or replaced by one of {@code replacements}. */
    public static Gen<Mutation> mutationsOf(JsonNode document, Gen<JsonNode> replacements) {
        List<List<Object>> paths = new ArrayList<>();
        collectPaths(document, new ArrayList<>(), paths);
        return Generate.pick(paths).zip(orNull(15, replacements), Mutation::new);
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

    private static ObjectNode object(List<Pair<String, JsonNode>> fields) {
        ObjectNode object = NODES.objectNode();
        fields.forEach(field -> object.set(field._1, field._2));
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
