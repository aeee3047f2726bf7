package io.berth.events.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import io.berth.events.json.Json;
import io.berth.events.validation.NodePath;
import io.berth.events.validation.SchemaValidator;
import io.berth.events.validation.SourceLocator;
import io.berth.events.validation.ValidationError;
import io.berth.events.validation.YamlDocument;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads, validates and writes service configs (DESIGN §1, the proposal's {@code file:}/{@code config:}
 * document), checked against {@code /schemas/service-config.json} plus rules no schema says well.
 * Every problem is reported at once, with its JSON path and, for YAML, its line and column.
 *
 * <p>A document may be the config itself, optionally {@code name}d, or a service entry wrapping it:
 * {@code {name: postgres, config: {...}}} (or {@code file: ...}, see {@link #parseRequestYaml}).
 */
public final class ServiceConfigs {
    static final String CONFIG_SCHEMA = "service-config.json";
    static final String REQUEST_SCHEMA = "task-step.json#/$defs/service";

    private ServiceConfigs() {}

    /**
     * The service config in {@code yaml}.
     *
     * @param sourceName where the text came from (a file name), used in error messages
     * @throws InvalidConfigException listing every problem
     */
    public static ServiceConfig parseYaml(String yaml, String sourceName) throws InvalidConfigException {
        YamlDocument document = YamlDocument.parse(yaml);
        if (!document.errors().isEmpty()) {
            throw new InvalidConfigException(sourceName, document.errors());
        }
        return fromTree(document.root(), sourceName, document.locator());
    }

    /** Like {@link #parseYaml}, for a JSON tree (no line/column in errors). */
    public static ServiceConfig fromJson(JsonNode node, String sourceName) throws InvalidConfigException {
        return fromTree(node, sourceName, SourceLocator.NONE);
    }

    /**
     * A service entry document: {@code {name, config}} or {@code {name, file}} (with optional
     * {@code image} and {@code params}), or a named config such as the proposal's prototype example
     * ({@code {name: concourse, type: docker-compose, ...}}).
     */
    public static ServiceRequest parseRequestYaml(String yaml, String sourceName) throws InvalidConfigException {
        YamlDocument document = YamlDocument.parse(yaml);
        if (!document.errors().isEmpty()) {
            throw new InvalidConfigException(sourceName, document.errors());
        }
        JsonNode root = document.root();
        if (isRequest(root)) {
            List<ValidationError> errors = requestErrors(root, NodePath.ROOT, document.locator());
            throwIfAny(sourceName, errors);
            return readRequest(root);
        }
        List<ValidationError> errors = configErrors(root, NodePath.ROOT, document.locator());
        if (!root.hasNonNull("name")) {
            errors.add(ServiceConfigReader.error(NodePath.ROOT, document.locator(), "missing required field 'name'"));
        }
        throwIfAny(sourceName, errors);
        return new ServiceRequest(root.get("name").asText(), null, ServiceConfigReader.read(root), null, null);
    }

    /** The JSON form of {@code config}: the same shape a config file has, defaults spelled out. */
    public static JsonNode toJson(ServiceConfig config) {
        return Json.tree(config);
    }

    /** Reads and parses a service config file. */
    public static ServiceConfig load(Path file) throws InvalidConfigException {
        return parseYaml(read(file, file.toString()), file.toString());
    }

    /**
     * The config a task's service entry stands for: its inline {@code config}, or its {@code file}
     * read relative to {@code baseDir} (absolute paths are taken as they are; relative ones may not
     * leave {@code baseDir}), with the entry's {@code image} and {@code params} applied over it.
     */
    public static ServiceConfig resolve(ServiceRequest request, Path baseDir) throws InvalidConfigException {
        String source = "service '" + request.name() + "'";
        ServiceConfig config = request.config();
        if (config == null) {
            if (request.file() == null) {
                throw new InvalidConfigException(source,
                        List.of(ValidationError.at("$", "needs either 'file' or 'config'")));
            }
            Path file;
            try {
                file = Path.of(request.file());
            } catch (InvalidPathException e) {
                throw new InvalidConfigException(source, List.of(ValidationError.at("$.file",
                        "'" + request.file() + "' is not a file path: " + e.getReason())));
            }
            if (!file.isAbsolute()) {
                Path root = baseDir.toAbsolutePath().normalize();
                file = root.resolve(file).normalize();
                if (!file.startsWith(root)) {
                    throw new InvalidConfigException(source, List.of(ValidationError.at("$.file",
                            "'" + request.file() + "' leaves the base directory " + root)));
                }
            }
            config = parseYaml(read(file, request.file()), request.file());
        }
        return withOverrides(config, request.image(), request.params());
    }

    /**
     * {@code config} with another image (which replaces {@code image_resource} too) and extra params
     * (which win over the config's); null / empty leave it as it is.
     */
    public static ServiceConfig withOverrides(ServiceConfig config, String image, Map<String, Object> params) {
        if (image == null && (params == null || params.isEmpty())) {
            return config;
        }
        Map<String, Object> merged = new LinkedHashMap<>(config.params());
        if (params != null) {
            merged.putAll(params);
        }
        return new ServiceConfig(config.type(), image != null ? image : config.image(),
                image != null ? null : config.imageResource(), config.run(), config.inputs(), merged,
                config.ports(), config.startupProbe(), config.terminationGraceSeconds(), config.resources());
    }

    /**
     * The rules a schema-valid config tree must also follow (something to run, distinct port and
     * input names, messages only for prototypes). For callers that validated the schema themselves,
     * such as the event codec for the inline configs of {@code task.started}.
     */
    public static List<ValidationError> ruleErrors(JsonNode config, NodePath base, SourceLocator locator) {
        return ServiceConfigReader.ruleErrors(config, base, locator);
    }

    /** Rules for one service entry of a task (file xor config, and the config's own rules). */
    public static List<ValidationError> requestRuleErrors(JsonNode request, NodePath base, SourceLocator locator) {
        return requestRuleErrors(request, base, locator, false);
    }

    /**
     * The same; with {@code flatAllowed} (a task step's entries), an entry with neither {@code file} nor
     * {@code config} is a config written beside its name and follows the config's rules.
     */
    static List<ValidationError> requestRuleErrors(JsonNode request, NodePath base, SourceLocator locator,
                                                   boolean flatAllowed) {
        if (flatAllowed && isFlat(request) && request.size() > 1) { // a lone name is a reference missing its config
            return ServiceConfigReader.ruleErrors(request, base, locator);
        }
        List<ValidationError> errors = new ArrayList<>();
        boolean file = request.hasNonNull("file");
        boolean config = request.hasNonNull("config");
        if (file == config) {
            errors.add(ServiceConfigReader.error(base, locator, file
                    ? "give either 'file' or 'config', not both"
                    : "missing 'file' or 'config': a service needs a config"));
        }
        if (config) {
            errors.addAll(ServiceConfigReader.ruleErrors(request.get("config"), base.property("config"), locator));
        }
        return errors;
    }

    /** Rules for a task's whole {@code services:} list: each entry's, and distinct names. */
    public static List<ValidationError> serviceListRuleErrors(JsonNode services, NodePath base, SourceLocator locator) {
        return serviceListRuleErrors(services, base, locator, false);
    }

    /** The same for a task step's list, whose entries may also be flat configs (see {@link #readRequest}). */
    static List<ValidationError> serviceListRuleErrors(JsonNode services, NodePath base, SourceLocator locator,
                                                       boolean flatAllowed) {
        List<ValidationError> errors = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        for (int i = 0; i < services.size(); i++) {
            JsonNode service = services.get(i);
            errors.addAll(requestRuleErrors(service, base.index(i), locator, flatAllowed));
            String name = service.path("name").asText();
            Integer previous = names.putIfAbsent(name, i);
            if (previous != null) {
                errors.add(ServiceConfigReader.error(base.index(i).property("name"), locator,
                        "duplicate service name '" + name + "' (also services[" + previous + "])"));
            }
        }
        return errors;
    }

    /**
     * A Jackson attribute ({@code ObjectReader.withAttribute(VALIDATED, true)}): the configs in what is read were
     * validated already, schema and rules, as part of a document that holds them (the event codec validates a
     * {@code task.started} whole), and are not validated again one by one.
     */
    public static final String VALIDATED = "berth.service-configs-validated";

    /** Reads {@link ServiceConfig} with these rules whenever Jackson meets one (see its annotation). */
    public static final class Reader extends StdDeserializer<ServiceConfig> {
        public Reader() {
            super(ServiceConfig.class);
        }

        @Override
        public ServiceConfig deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            JsonNode tree = parser.readValueAsTree();
            if (context.getAttribute(VALIDATED) == null) {
                throwIfAny("config", configErrors(tree, NodePath.ROOT, SourceLocator.NONE));
            }
            return ServiceConfigReader.read(tree);
        }
    }

    /**
     * A service entry: a reference ({@code name} with {@code file} or {@code config}, and optional {@code image}
     * and {@code params} overrides) or, in a task step, the config itself beside its name (the proposal's
     * {@code {name: concourse, type: docker-compose, run: up, params: ..., inputs: ..., ports: ...}}), whose
     * {@code image} and {@code params} are then the config's own.
     */
    static ServiceRequest readRequest(JsonNode request) {
        if (isFlat(request)) {
            return new ServiceRequest(request.path("name").asText(null), null, ServiceConfigReader.read(request),
                    null, null);
        }
        JsonNode config = request.get("config");
        return new ServiceRequest(request.path("name").asText(null),
                request.hasNonNull("file") ? request.get("file").asText() : null,
                config == null || config.isNull() ? null : ServiceConfigReader.read(config),
                request.hasNonNull("image") ? request.get("image").asText() : null,
                ServiceConfigReader.map(request.get("params")));
    }

    static List<ValidationError> requestErrors(JsonNode request, NodePath base, SourceLocator locator) {
        List<ValidationError> errors = new ArrayList<>(
                SchemaValidator.shared().validate(REQUEST_SCHEMA, request, base, locator));
        if (errors.isEmpty()) {
            errors.addAll(requestRuleErrors(request, base, locator));
        }
        return errors;
    }

    private static ServiceConfig fromTree(JsonNode root, String sourceName, SourceLocator locator) {
        if (isRequest(root)) {
            List<ValidationError> errors = requestErrors(root, NodePath.ROOT, locator);
            if (errors.isEmpty() && root.hasNonNull("file")) {
                errors.add(ServiceConfigReader.error(NodePath.of("file"), locator,
                        "refers to another file; resolve the service entry against its base directory"));
            }
            throwIfAny(sourceName, errors);
            ServiceRequest request = readRequest(root);
            return withOverrides(request.config(), request.image(), request.params());
        }
        List<ValidationError> errors = configErrors(root, NodePath.ROOT, locator);
        throwIfAny(sourceName, errors);
        return ServiceConfigReader.read(root);
    }

    private static List<ValidationError> configErrors(JsonNode config, NodePath base, SourceLocator locator) {
        List<ValidationError> errors = new ArrayList<>(
                SchemaValidator.shared().validate(CONFIG_SCHEMA, config, base, locator));
        if (errors.isEmpty()) {
            errors.addAll(ServiceConfigReader.ruleErrors(config, base, locator));
        }
        return errors;
    }

    /** An entry that carries its config's fields itself rather than a {@code file} or {@code config}. */
    private static boolean isFlat(JsonNode entry) {
        return entry.isObject() && !entry.has("file") && !entry.has("config");
    }

    private static boolean isRequest(JsonNode root) {
        return root.isObject() && (root.has("config") || root.has("file"));
    }

    static void throwIfAny(String sourceName, List<ValidationError> errors) {
        if (!errors.isEmpty()) {
            errors.sort(SchemaValidator.BY_POSITION);
            throw new InvalidConfigException(sourceName, errors);
        }
    }

    private static String read(Path file, String sourceName) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InvalidConfigException(sourceName, List.of(ValidationError.at("$", "no such file: " + file)));
        } catch (IOException e) {
            throw new InvalidConfigException(sourceName,
                    List.of(ValidationError.at("$", "cannot read " + file + ": " + e.getMessage())));
        }
    }
}
