package io.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.SvcVars;
import io.berth.events.config.PortSpec;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.SvcVariables;
import io.berth.events.validation.NodePath;
import io.berth.events.validation.Position;
import io.berth.events.validation.SourceLocator;
import io.berth.events.validation.ValidationError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks, before a task is started, that its variables can be resolved: every {@code ((.svc:NAME.FIELD))} names a
 * declared service and one of its ports (the same resolution as after ready, run against the declared ports), and
 * every {@code ((.:VAR))} is bound by the step's {@code across:}. Found statically, such a mistake is an error with
 * its line:column instead of a task whose services start and whose command can never run.
 */
final class TaskReferences {
    /** {@code ((.:VAR))}: a Concourse local var, bound by {@code across} or {@code load_var}. */
    private static final Pattern LOCAL_VAR = Pattern.compile("\\(\\(\\s*\\.:([^()\\s]*)\\s*\\)\\)");

    private final Map<String, SvcVariables> declared = new LinkedHashMap<>();

    /** @param services the task's services (name → config), their ports as declared */
    TaskReferences(Map<String, ServiceConfig> services) {
        services.forEach((name, config) -> {
            Map<String, Integer> ports = new LinkedHashMap<>();
            for (PortSpec port : config.ports()) {
                ports.put(port.name(), port.number());
            }
            declared.put(name, SvcVariables.of("127.0.0.1", ports));
        });
    }

    /** Problems with the {@code .svc} variables of {@code text} (empty: all resolve once the services are ready). */
    List<String> svcProblems(String text) {
        List<String> problems = new ArrayList<>();
        for (String variable : SvcVars.references(text)) {
            try {
                SvcVars.interpolate("((" + variable + "))", declared);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    /**
     * Every unresolvable variable in a task step: {@code .svc} ones outside {@code services:} (where the task's
     * own params and settings are), {@code ((.:VAR))} anywhere but bound by {@code across}.
     */
    List<ValidationError> check(JsonNode step, SourceLocator locator) {
        Set<String> bound = new TreeSet<>();
        step.path("across").forEach(entry -> {
            if (entry.path("var").isTextual()) {
                bound.add(entry.path("var").asText());
            }
        });
        List<ValidationError> errors = new ArrayList<>();
        walk(step, NodePath.ROOT, locator, bound, errors, false);
        return errors;
    }

    private void walk(JsonNode node, NodePath path, SourceLocator locator, Set<String> bound,
                      List<ValidationError> errors, boolean inServices) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> walk(e.getValue(), path.property(e.getKey()), locator, bound, errors,
                    inServices || (path.isRoot() && e.getKey().equals("services"))));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), path.index(i), locator, bound, errors, inServices);
            }
        } else if (node.isTextual()) {
            String text = node.asText();
            if (!inServices) {
                svcProblems(text).forEach(p -> errors.add(error(path, locator, p)));
            }
            Matcher local = LOCAL_VAR.matcher(text);
            while (local.find()) {
                if (!bound.contains(local.group(1))) {
                    errors.add(error(path, locator, "((.:" + local.group(1) + ")) is bound by nothing: no across: "
                            + "var of this step is called '" + local.group(1) + "'"
                            + (bound.isEmpty() ? "" : " (bound: " + String.join(", ", bound) + ")")));
                }
            }
        }
    }

    private static ValidationError error(NodePath path, SourceLocator locator, String message) {
        Position at = locator.nearest(path, false);
        return at == null ? ValidationError.at(path.toString(), message)
                : new ValidationError(path.toString(), at.line(), at.column(), message);
    }
}
