package io.berth.events.config;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.json.Json;
import io.berth.events.validation.NodePath;
import io.berth.events.validation.Position;
import io.berth.events.validation.SourceLocator;
import io.berth.events.validation.ValidationError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns a schema-valid service config tree into a {@link ServiceConfig}, and checks the rules a
 * schema cannot say well: something to run, prototype messages need a prototype, port and input
 * names are distinct.
 */
final class ServiceConfigReader {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
    private static final Pattern PATH_SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private ServiceConfigReader() {}

    static List<ValidationError> ruleErrors(JsonNode config, NodePath base, SourceLocator locator) {
        List<ValidationError> errors = new ArrayList<>();
        if (!config.isObject()) {
            return errors;
        }
        JsonNode run = config.get("run");
        boolean prototype = config.hasNonNull("type");
        boolean image = config.hasNonNull("image") || config.hasNonNull("image_resource");
        boolean process = run != null && run.isObject() && run.hasNonNull("path");
        if (!prototype && !image && !process) {
            errors.add(error(base, locator,
                    "nothing to run: set run.path (a process), image or image_resource (a container), or type (a prototype)"));
        }
        if (run != null && run.isTextual() && !prototype) {
            errors.add(error(base.property("run"), locator, "'" + run.asText()
                    + "' is a prototype message and needs 'type' (the prototype); to run a process write run: {path: ...}"));
        }
        if (prototype && run != null && run.isObject()) {
            errors.add(error(base.property("run"), locator,
                    "a prototype-based service takes a message name here (e.g. run: up), not a process"));
        }
        if (prototype) {
            segmentError(config.get("type"), "prototype", base.property("type"), locator, errors);
            if (run != null && run.isTextual()) {
                segmentError(run, "message", base.property("run"), locator, errors);
            }
        }
        JsonNode memory = config.path("resources").path("memory");
        if (memory.isValueNode() && !memory.isNull()) {
            try { // the pattern admits sizes beyond a long, and the schema's integer admits 80.0
                new ResourceLimits(memory.asText(), null).memoryBytes();
            } catch (IllegalArgumentException e) {
                errors.add(error(base.property("resources").property("memory"), locator, e.getMessage()));
            }
        }
        if (!prototype) {
            loaderVariableErrors(config.get("params"), base.property("params"), locator, errors);
        }
        portErrors(config.get("ports"), base.property("ports"), locator, errors);
        inputErrors(config.get("inputs"), base.property("inputs"), locator, errors);
        return errors;
    }

    /**
     * Variables that steer the dynamic loader or the C library rather than the service ({@code LD_PRELOAD} runs a
     * file's code in whatever program starts next): a service's environment never needs them, and never gets them.
     */
    private static final java.util.regex.Pattern LOADER_VARIABLE = java.util.regex.Pattern.compile(
            "LD_.*|MALLOC_.*|GLIBC_TUNABLES|GCONV_PATH|GETCONF_DIR|HOSTALIASES|LOCALDOMAIN|LOCPATH|NIS_PATH|NLSPATH"
                    + "|RESOLV_HOST_CONF|RES_OPTIONS");

    private static void loaderVariableErrors(JsonNode params, NodePath path, SourceLocator locator,
                                             List<ValidationError> errors) {
        if (params == null || !params.isObject()) {
            return;
        }
        params.fieldNames().forEachRemaining(name -> {
            if (LOADER_VARIABLE.matcher(name).matches()) {
                errors.add(error(path.property(name), locator, "'" + name + "' steers the dynamic loader or the C "
                        + "library and is not allowed in a service's environment"));
            }
        });
    }

    /** Prototype and message names become file names on the worker: one path segment, never {@code ..}. */
    private static void segmentError(JsonNode name, String what, NodePath path, SourceLocator locator,
                                     List<ValidationError> errors) {
        String text = name.asText();
        if (!PATH_SEGMENT.matcher(text).matches() || text.contains("..")) {
            errors.add(error(path, locator, "'" + text + "' is not a " + what
                    + " name: use letters, digits, '.', '_' and '-', starting with a letter or digit, no '..'"));
        }
    }

    private static void portErrors(JsonNode ports, NodePath base, SourceLocator locator, List<ValidationError> errors) {
        if (ports == null || !ports.isArray()) {
            return;
        }
        Map<String, Integer> names = new HashMap<>();
        Map<Integer, String> numbers = new HashMap<>();
        for (int i = 0; i < ports.size(); i++) {
            JsonNode port = ports.get(i);
            boolean named = port.hasNonNull("name");
            String name = named ? port.get("name").asText() : PortSpec.DEFAULT;
            Integer previous = names.putIfAbsent(name, i);
            if (previous != null) {
                errors.add(error(named ? base.index(i).property("name") : base.index(i), locator,
                        "duplicate port name '" + name + "' (also ports[" + previous + "])"
                                + (named ? "" : "; a port without a name is named 'default'")));
            }
            JsonNode number = port.get("number");
            if (number != null && number.canConvertToInt()) {
                String other = numbers.putIfAbsent(number.asInt(), name);
                if (other != null) {
                    errors.add(error(base.index(i).property("number"), locator,
                            "port " + number.asInt() + " is already listed as '" + other + "'"));
                }
            }
        }
    }

    private static void inputErrors(JsonNode inputs, NodePath base, SourceLocator locator, List<ValidationError> errors) {
        if (inputs == null || !inputs.isArray()) {
            return;
        }
        Map<String, Integer> names = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            JsonNode input = inputs.get(i);
            String name = input.isTextual() ? input.asText() : input.path("name").asText(null);
            if (name != null && names.putIfAbsent(name, i) != null) {
                errors.add(error(base.index(i), locator, "duplicate input '" + name + "'"));
            }
        }
    }

    static ValidationError error(NodePath path, SourceLocator locator, String message) {
        Position at = locator.nearest(path, false);
        return at == null ? ValidationError.at(path.toString(), message)
                : new ValidationError(path.toString(), at.line(), at.column(), message);
    }

    /** Reads a config that passed the schema and {@link #ruleErrors}; applies the defaults. */
    static ServiceConfig read(JsonNode config) {
        String type = text(config, "type");
        ImageResource imageResource = null;
        JsonNode resource = config.get("image_resource");
        if (resource != null && resource.isObject()) {
            imageResource = new ImageResource(text(resource, "type"), map(resource.get("source")));
        }
        RunSpec run = run(config.get("run"));
        if (run == null && type != null) {
            run = RunSpec.ofMessage(RunSpec.DEFAULT_MESSAGE);
        }
        List<InputSpec> inputs = new ArrayList<>();
        for (JsonNode input : iterable(config.get("inputs"))) {
            inputs.add(input.isTextual() ? new InputSpec(input.asText(), null)
                    : new InputSpec(text(input, "name"), text(input, "path")));
        }
        List<PortSpec> ports = new ArrayList<>();
        for (JsonNode port : iterable(config.get("ports"))) {
            String name = port.hasNonNull("name") ? port.get("name").asText() : PortSpec.DEFAULT;
            ports.add(new PortSpec(name, port.path("number").asInt()));
        }
        ProbeSpec probe = ProbeSpec.ports();
        JsonNode probeNode = config.get("startup_probe");
        if (probeNode != null && probeNode.isObject()) {
            probe = new ProbeSpec(run(probeNode.get("run")),
                    probeNode.path("failure_threshold").asInt(ProbeSpec.DEFAULT_FAILURE_THRESHOLD),
                    probeNode.path("period_seconds").asDouble(ProbeSpec.DEFAULT_PERIOD_SECONDS));
        }
        double grace = config.path("termination_grace_seconds")
                .asDouble(ServiceConfig.DEFAULT_TERMINATION_GRACE_SECONDS);
        ResourceLimits resources = null;
        JsonNode limits = config.get("resources");
        if (limits != null && limits.isObject()) {
            resources = new ResourceLimits(text(limits, "memory"),
                    limits.hasNonNull("cpus") ? limits.get("cpus").asDouble() : null,
                    limits.hasNonNull("pids") ? limits.get("pids").asLong() : null);
        }
        return new ServiceConfig(type, text(config, "image"), imageResource, run, inputs,
                map(config.get("params")), ports, probe, grace, resources);
    }

    private static RunSpec run(JsonNode run) {
        if (run == null || run.isNull()) {
            return null;
        }
        if (run.isTextual()) {
            return RunSpec.ofMessage(run.asText());
        }
        List<String> args = new ArrayList<>();
        for (JsonNode arg : iterable(run.get("args"))) {
            args.add(arg.asText());
        }
        return new RunSpec(text(run, "path"), args, text(run, "dir"), text(run, "user"), null);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    static Map<String, Object> map(JsonNode node) {
        if (node == null || !node.isObject()) {
            return Map.of();
        }
        return new LinkedHashMap<>(Json.MAPPER.convertValue(node, MAP));
    }

    private static Iterable<JsonNode> iterable(JsonNode node) {
        return node == null || !node.isArray() ? List.of() : node;
    }
}
