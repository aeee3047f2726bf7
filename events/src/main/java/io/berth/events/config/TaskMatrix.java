package io.berth.events.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.validation.NodePath;
import io.berth.events.validation.SchemaValidator;
import io.berth.events.validation.SourceLocator;
import io.berth.events.validation.ValidationError;
import io.berth.events.validation.YamlDocument;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A task step with Concourse's {@code across:}, as the proposal's matrix example writes it: one run of the step per
 * combination of the vars' values (their cartesian product, the first var outermost), each with {@code ((.:VAR))}
 * replaced everywhere in the step — params, service {@code image:}, {@code params:}, {@code file:} paths. A step
 * without {@code across} is a matrix of one combination with no vars. A {@code ((.:VAR))} that no across var binds
 * is left as written: bin/berth reports it with its location, with every other variable that cannot resolve.
 *
 * @param vars         the across vars, in order (empty: no across)
 * @param combinations every run of the step, each with its own interpolated step
 */
public record TaskMatrix(List<AcrossVar> vars, List<Combination> combinations) {
    /** More runs than this in one step is a mistake rather than a test matrix. */
    public static final int MAX_COMBINATIONS = 256;
    private static final String ACROSS_SCHEMA = "task-step.json#/$defs/across";

    public TaskMatrix {
        vars = List.copyOf(vars);
        combinations = List.copyOf(combinations);
    }

    /** One run of the step: the value of each var, and the step they make. */
    public record Combination(Map<String, JsonNode> values, TaskStep step) {
        public Combination {
            values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }

        /** {@code postgres_version=9 os=linux}; empty without vars. */
        public String label() {
            return values.entrySet().stream().map(e -> e.getKey() + "=" + LocalVars.text(e.getValue()))
                    .collect(Collectors.joining(" "));
        }
    }

    /** Whether the step has {@code across} at all. */
    public boolean isMatrix() {
        return !vars.isEmpty();
    }

    /**
     * How many runs may be in flight at once: each var's {@code max_in_flight} multiplied, as Concourse nests one
     * across step per var (1 without vars).
     */
    public int maxInFlight() {
        long product = 1;
        for (AcrossVar var : vars) {
            product = Math.min(product * var.maxInFlight(), Integer.MAX_VALUE);
        }
        return (int) product;
    }

    /** Whether a failing run stops the others ({@code fail_fast} on any var). */
    public boolean failFast() {
        return vars.stream().anyMatch(AcrossVar::failFast);
    }

    /**
     * Parses a task step and expands its {@code across}.
     *
     * @throws InvalidConfigException listing every problem with its path and line/column; an error of only some
     *                                combinations names them
     */
    public static TaskMatrix parseYaml(String yaml, String sourceName) throws InvalidConfigException {
        YamlDocument document = YamlDocument.parse(yaml);
        if (!document.errors().isEmpty()) {
            throw new InvalidConfigException(sourceName, document.errors());
        }
        JsonNode root = document.root();
        SourceLocator locator = document.locator();
        if (root == null || !root.isObject() || !root.has("across")) {
            return new TaskMatrix(List.of(), List.of(new Combination(Map.of(), TaskStep.fromTree(root, sourceName, locator))));
        }
        List<ValidationError> errors = new ArrayList<>();
        List<AcrossVar> vars = readVars(root.get("across"), locator, errors);
        ServiceConfigs.throwIfAny(sourceName, errors);
        ObjectNode step = ((ObjectNode) root).deepCopy();
        step.remove("across");
        long count = vars.stream().mapToLong(v -> v.values().size()).reduce(1, (a, b) -> a * b);
        if (count > MAX_COMBINATIONS) {
            throw new InvalidConfigException(sourceName, List.of(ServiceConfigReader.error(NodePath.of("across"),
                    locator, "makes " + count + " combinations; at most " + MAX_COMBINATIONS)));
        }
        List<Combination> combinations = new ArrayList<>();
        Map<ValidationError, List<String>> failing = new LinkedHashMap<>();
        for (Map<String, JsonNode> values : product(vars)) {
            Combination combination = new Combination(values, null);
            try {
                combinations.add(new Combination(values,
                        TaskStep.fromTree(LocalVars.interpolate(step, values), sourceName, locator)));
            } catch (InvalidConfigException e) {
                e.errors().forEach(error -> failing.computeIfAbsent(error, k -> new ArrayList<>()).add(combination.label()));
            } catch (IllegalArgumentException e) { // a field of a value that has none
                failing.computeIfAbsent(ValidationError.at("$", e.getMessage()), k -> new ArrayList<>())
                        .add(combination.label());
            }
        }
        failing.forEach((error, labels) -> errors.add(labels.size() == count ? error : new ValidationError(error.path(),
                error.line(), error.column(), error.message() + " (with " + String.join(", with ", labels) + ")")));
        ServiceConfigs.throwIfAny(sourceName, errors);
        return new TaskMatrix(vars, combinations);
    }

    private static List<AcrossVar> readVars(JsonNode across, SourceLocator locator, List<ValidationError> errors) {
        NodePath base = NodePath.of("across");
        if (!across.isArray() || across.isEmpty()) {
            errors.add(ServiceConfigReader.error(base, locator, "must be a non-empty list of {var, values}"));
            return List.of();
        }
        List<AcrossVar> vars = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < across.size(); i++) {
            JsonNode item = across.get(i);
            NodePath at = base.index(i);
            List<ValidationError> itemErrors = SchemaValidator.shared().validate(ACROSS_SCHEMA, item, at, locator);
            errors.addAll(itemErrors);
            if (!itemErrors.isEmpty()) {
                continue;
            }
            String name = item.get("var").asText();
            JsonNode values = item.get("values");
            if (!values.isArray()) {
                errors.add(ServiceConfigReader.error(at.property("values"), locator, "must list the values here; "
                        + "values from a var source are resolved by Concourse, not by berth"));
                continue;
            }
            if (values.isEmpty()) {
                errors.add(ServiceConfigReader.error(at.property("values"), locator, "has no values: the step would never run"));
                continue;
            }
            if (!names.add(name)) {
                errors.add(ServiceConfigReader.error(at.property("var"), locator, "var '" + name + "' is already bound by across"));
            }
            JsonNode max = item.get("max_in_flight");
            int maxInFlight = max == null ? 1 : max.isTextual() ? values.size() : max.asInt();
            List<JsonNode> list = new ArrayList<>();
            values.forEach(list::add);
            vars.add(new AcrossVar(name, list, maxInFlight, item.path("fail_fast").asBoolean(false)));
        }
        return vars;
    }

    /** Every combination of the vars' values, the first var outermost. */
    private static List<Map<String, JsonNode>> product(List<AcrossVar> vars) {
        List<Map<String, JsonNode>> result = new ArrayList<>(List.of(new LinkedHashMap<>()));
        for (AcrossVar var : vars) {
            List<Map<String, JsonNode>> next = new ArrayList<>();
            for (Map<String, JsonNode> partial : result) {
                for (JsonNode value : var.values()) {
                    Map<String, JsonNode> combination = new LinkedHashMap<>(partial);
                    combination.put(var.name(), value);
                    next.add(combination);
                }
            }
            result = next;
        }
        return result;
    }
}
