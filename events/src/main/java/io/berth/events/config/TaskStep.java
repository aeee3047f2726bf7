package io.berth.events.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.validation.NodePath;
import io.berth.events.validation.SchemaValidator;
import io.berth.events.validation.SourceLocator;
import io.berth.events.validation.ValidationError;
import io.berth.events.validation.YamlDocument;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Concourse {@code task} step with the proposal's {@code services:} list, as in
 *
 * <pre>{@code
 * task: integration-tests
 * file: ci/tasks/test.yml
 * params:
 *   POSTGRES_ADDRESS: ((.svc:postgres.address))
 * services:
 * - name: postgres
 *   file: ci/services/postgres.yml
 * - name: concourse              # or the config itself beside the name
 *   type: docker-compose
 *   params: {files: [concourse/docker-compose.yml]}
 * }</pre>
 *
 * Concourse's other step keys ({@code across}, {@code image}, {@code input_mapping}, {@code timeout}, …)
 * are accepted and left to Concourse; any other key is an error. Checked against
 * {@code /schemas/task-step.json}.
 *
 * @param task     the step name
 * @param params   the task's params, scalars as text (they may hold {@code ((.svc:…))} variables)
 * @param services the services, in order
 */
public record TaskStep(String task, Map<String, String> params, List<ServiceRequest> services) {
    static final String SCHEMA = "task-step.json";

    public TaskStep {
        params = params == null ? Map.of() : Map.copyOf(params);
        services = services == null ? List.of() : List.copyOf(services);
    }

    /**
     * Parses a task step.
     *
     * @throws InvalidConfigException listing every problem with its path and line/column
     */
    public static TaskStep parseYaml(String yaml, String sourceName) throws InvalidConfigException {
        YamlDocument document = YamlDocument.parse(yaml);
        if (!document.errors().isEmpty()) {
            throw new InvalidConfigException(sourceName, document.errors());
        }
        return fromTree(document.root(), sourceName, document.locator());
    }

    /** Like {@link #parseYaml}, for a JSON tree (no line/column in errors). */
    public static TaskStep fromJson(JsonNode step, String sourceName) throws InvalidConfigException {
        return fromTree(step, sourceName, SourceLocator.NONE);
    }

    /** The service entry called {@code name}, or null. */
    public ServiceRequest service(String name) {
        return services.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    static TaskStep fromTree(JsonNode root, String sourceName, SourceLocator locator) {
        List<ValidationError> errors = new ArrayList<>(
                SchemaValidator.shared().validate(SCHEMA, root, NodePath.ROOT, locator));
        if (errors.isEmpty()) {
            errors.addAll(ServiceConfigs.serviceListRuleErrors(root.path("services"), NodePath.of("services"), locator, true));
        }
        ServiceConfigs.throwIfAny(sourceName, errors);
        Map<String, String> params = new LinkedHashMap<>();
        root.path("params").fields().forEachRemaining(e ->
                params.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
        List<ServiceRequest> services = new ArrayList<>();
        root.path("services").forEach(service -> services.add(ServiceConfigs.readRequest(service)));
        return new TaskStep(root.get("task").asText(), params, services);
    }
}
