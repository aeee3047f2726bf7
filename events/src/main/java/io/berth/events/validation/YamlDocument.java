package io.berth.events.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.StringReader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML text read as a JSON tree that remembers where each node was written. Built on snakeyaml's
 * composed node tree (so every value and key keeps its line and column); scalars get their YAML
 * types (numbers, booleans, null). Duplicate keys are errors. Use {@link #parse} and then
 * {@link #root()} / {@link #locator()}.
 */
public final class YamlDocument {
    private static final int MAX_DEPTH = 100;
    /** Aliases repeat whole subtrees: 50 of them can stand for billions of values, so the expansion is capped. */
    static final int MAX_VALUES = 100_000;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final JsonNode root;
    private final Map<String, Position> values = new HashMap<>();
    private final Map<String, Position> keys = new HashMap<>();
    private final List<ValidationError> errors = new ArrayList<>();
    private int converted;

    private YamlDocument(Node node) {
        this.root = node == null ? NODES.nullNode() : convert(node, NodePath.ROOT, 0, new IdentityHashMap<>());
    }

    /**
     * Reads {@code yaml}. Syntax problems (and duplicate keys, aliases that loop) are returned in
     * {@link #errors()}, each with its line and column; the tree is then incomplete.
     */
    public static YamlDocument parse(String yaml) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(50);
        options.setCodePointLimit(1024 * 1024);
        Yaml parser = new Yaml(new SafeConstructor(options));
        try {
            return new YamlDocument(parser.compose(new StringReader(yaml)));
        } catch (MarkedYAMLException e) {
            YamlDocument failed = new YamlDocument(null);
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            if (e.getContext() != null) {
                problem = problem + " (" + e.getContext() + ")";
            }
            failed.errors.add(mark == null ? ValidationError.at("$", "invalid YAML: " + problem)
                    : new ValidationError("$", mark.getLine() + 1, mark.getColumn() + 1, "invalid YAML: " + problem));
            return failed;
        } catch (YAMLException e) {
            YamlDocument failed = new YamlDocument(null);
            failed.errors.add(ValidationError.at("$", "invalid YAML: " + e.getMessage()));
            return failed;
        } catch (NumberFormatException e) {
            // SnakeYAML parses the hex digits of an escape that the text ends in the middle of (a backslash, u, nothing)
            YamlDocument failed = new YamlDocument(null);
            failed.errors.add(ValidationError.at("$", "invalid YAML: the text ends inside an escape sequence"));
            return failed;
        }
    }

    public JsonNode root() {
        return root;
    }

    public List<ValidationError> errors() {
        return errors;
    }

    public SourceLocator locator() {
        return (path, key) -> (key ? keys : values).get(path.toPointer());
    }

    private JsonNode convert(Node node, NodePath path, int depth, IdentityHashMap<Node, Boolean> open) {
        if (++converted > MAX_VALUES) {
            if (converted == MAX_VALUES + 1) {
                error(node.getStartMark(), path, "too many values (more than " + MAX_VALUES + " with aliases expanded)");
            }
            return NODES.nullNode();
        }
        values.put(path.toPointer(), position(node.getStartMark()));
        if (depth > MAX_DEPTH || open.containsKey(node)) {
            error(node.getStartMark(), path, "nesting too deep or recursive alias");
            return NODES.nullNode();
        }
        open.put(node, Boolean.TRUE);
        try {
            if (node instanceof MappingNode mapping) {
                return object(mapping, path, depth, open);
            }
            if (node instanceof SequenceNode sequence) {
                ArrayNode array = NODES.arrayNode();
                List<Node> items = sequence.getValue();
                for (int i = 0; i < items.size(); i++) {
                    array.add(convert(items.get(i), path.index(i), depth + 1, open));
                }
                return array;
            }
            JsonNode scalar = scalar((ScalarNode) node);
            if (scalar.isNumber() && !Double.isFinite(scalar.doubleValue())) {
                // .nan and .inf have no JSON form, and schema range checks cannot compare them
                error(node.getStartMark(), path, "must be a finite number, is " + ((ScalarNode) node).getValue());
            }
            return scalar;
        } finally {
            open.remove(node);
        }
    }

    private JsonNode object(MappingNode mapping, NodePath path, int depth, IdentityHashMap<Node, Boolean> open) {
        ObjectNode object = NODES.objectNode();
        for (NodeTuple tuple : mapping.getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode scalarKey)) {
                error(keyNode.getStartMark(), path, "keys must be plain values, not lists or maps");
                continue;
            }
            String key = scalarKey.getValue();
            NodePath child = path.property(key);
            if (object.has(key)) {
                error(keyNode.getStartMark(), child, "duplicate key '" + key + "'");
                continue;
            }
            keys.put(child.toPointer(), position(keyNode.getStartMark()));
            object.set(key, convert(tuple.getValueNode(), child, depth + 1, open));
        }
        return object;
    }

    private static JsonNode scalar(ScalarNode node) {
        String text = node.getValue();
        Tag tag = node.getTag();
        try {
            if (Tag.NULL.equals(tag)) {
                return NODES.nullNode();
            }
            if (Tag.BOOL.equals(tag)) {
                return NODES.booleanNode(switch (text.toLowerCase()) {
                    case "true", "yes", "on", "y" -> true;
                    default -> false;
                });
            }
            if (Tag.INT.equals(tag)) {
                return integer(text);
            }
            if (Tag.FLOAT.equals(tag)) {
                String plain = text.replace("_", "");
                return switch (plain.toLowerCase()) {
                    case ".inf", "+.inf" -> NODES.numberNode(Double.POSITIVE_INFINITY);
                    case "-.inf" -> NODES.numberNode(Double.NEGATIVE_INFINITY);
                    case ".nan" -> NODES.numberNode(Double.NaN);
                    default -> NODES.numberNode(Double.parseDouble(plain));
                };
            }
        } catch (NumberFormatException e) {
            return NODES.textNode(text); // e.g. sexagesimal 1:30: keep the text
        }
        return NODES.textNode(text); // strings, timestamps, binary: as written
    }

    private static JsonNode integer(String text) {
        String plain = text.replace("_", "");
        boolean negative = plain.startsWith("-");
        String digits = plain.startsWith("-") || plain.startsWith("+") ? plain.substring(1) : plain;
        BigInteger value;
        if (digits.startsWith("0x")) {
            value = new BigInteger(digits.substring(2), 16);
        } else if (digits.startsWith("0b")) {
            value = new BigInteger(digits.substring(2), 2);
        } else if (digits.startsWith("0o")) {
            value = new BigInteger(digits.substring(2), 8);
        } else if (digits.length() > 1 && digits.startsWith("0")) {
            value = new BigInteger(digits.substring(1), 8); // YAML 1.1 octal
        } else {
            value = new BigInteger(digits);
        }
        if (negative) {
            value = value.negate();
        }
        return value.bitLength() < 32 ? NODES.numberNode(value.intValue())
                : value.bitLength() < 64 ? NODES.numberNode(value.longValue()) : NODES.numberNode(value);
    }

    private void error(Mark mark, NodePath path, String message) {
        errors.add(new ValidationError(path.toString(), mark.getLine() + 1, mark.getColumn() + 1, message));
    }

    private static Position position(Mark mark) {
        return new Position(mark.getLine() + 1, mark.getColumn() + 1);
    }
}
