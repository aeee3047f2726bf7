package io.berth.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import io.berth.events.config.ImageResource;
import io.berth.events.config.InputSpec;
import io.berth.events.config.PortSpec;
import io.berth.events.config.ProbeSpec;
import io.berth.events.config.ResourceLimits;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.berth.events.config.ServiceRequest;
import io.berth.events.json.Json;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.SvcVariables;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.validation.NodePath;
import io.berth.events.validation.SchemaValidator;
import io.berth.events.validation.SourceLocator;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The JSON Schemas and the Java records must describe the same thing. */
class SchemaContractTest {
    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
    private static final Path SCHEMA_DIR = Path.of("../schemas/json");
    private static final Set<String> SHARED_SCHEMAS = Set.of("service-config.json", "task-step.json", "common.json");

    /** record, schema (file plus pointer to the object schema), fields only the schema has, only the record has. */
    static Stream<Arguments> records() {
        Stream<Arguments> payloads = EventTypes.ALL.stream().sorted().map(type -> Arguments.of(
                EventTypes.payloadType(type), EventTypes.schemaName(type), "", Set.of(), Set.of(), true));
        Stream<Arguments> parts = Stream.of(
                Arguments.of(ServiceConfig.class, "service-config.json", "", Set.of("name"), Set.of(), false),
                Arguments.of(ServiceRequest.class, "task-step.json", "/$defs/service", Set.of(), Set.of(), false),
                // a prototype message is written as the plain string, not as a field
                Arguments.of(RunSpec.class, "service-config.json", "/$defs/run", Set.of(), Set.of("message"), false),
                Arguments.of(RunSpec.class, "service-config.json", "/$defs/process", Set.of(), Set.of("message"), false),
                Arguments.of(ProbeSpec.class, "service-config.json", "/$defs/startup_probe", Set.of(), Set.of(), false),
                Arguments.of(PortSpec.class, "service-config.json", "/$defs/port", Set.of(), Set.of(), false),
                Arguments.of(InputSpec.class, "service-config.json", "/$defs/input", Set.of(), Set.of(), false),
                Arguments.of(ImageResource.class, "service-config.json", "/$defs/image_resource", Set.of(), Set.of(), false),
                Arguments.of(ResourceLimits.class, "service-config.json", "/$defs/resources", Set.of(), Set.of(), false),
                Arguments.of(NetworkSpec.class, "common.json", "/$defs/network", Set.of(), Set.of(), true),
                Arguments.of(SvcVariables.class, "common.json", "/$defs/svc_variables", Set.of(), Set.of(), true),
                Arguments.of(TaskServicesReleased.ServiceRelease.class, "common.json", "/$defs/service_release",
                        Set.of(), Set.of(), true));
        return Stream.concat(payloads, parts);
    }

    @ParameterizedTest(name = "{0} ~ {1}#{2}")
    @MethodSource("records")
    void recordFields_matchSchemaProperties(Class<?> record, String schema, String pointer, Set<String> schemaOnly,
                                            Set<String> recordOnly, boolean primitivesRequired) {
        JsonNode object = SchemaValidator.shared().schemaDocument(schema).at(pointer);
        Set<String> properties = new TreeSet<>();
        object.get("properties").fieldNames().forEachRemaining(properties::add);
        Set<String> fields = Arrays.stream(record.getRecordComponents())
                .map(c -> SNAKE.translate(c.getName())).collect(Collectors.toCollection(TreeSet::new));

        Set<String> expectedProperties = new TreeSet<>(fields);
        expectedProperties.removeAll(recordOnly);
        expectedProperties.addAll(schemaOnly);
        assertEquals(expectedProperties, properties, "properties of " + schema + "#" + pointer);
        assertEquals(false, object.path("additionalProperties").asBoolean(true), "closed: " + schema + "#" + pointer);

        Set<String> required = new TreeSet<>();
        object.path("required").forEach(r -> required.add(r.asText()));
        assertTrue(properties.containsAll(required), "required fields exist: " + required);
        if (primitivesRequired) {
            for (RecordComponent component : record.getRecordComponents()) {
                if (component.getType().isPrimitive()) {
                    assertTrue(required.contains(SNAKE.translate(component.getName())),
                            component.getName() + " is a primitive: the schema must require it");
                }
            }
        }
    }

    static Stream<String> eventTypes() {
        return EventTypes.ALL.stream().sorted();
    }

    @ParameterizedTest
    @MethodSource("eventTypes")
    void samplePayload_validatesAgainstItsSchema(String type) {
        JsonNode payload = Json.tree(Samples.payloads().get(type));

        assertEquals(List.of(), SchemaValidator.shared().validate(EventTypes.schemaName(type), payload,
                NodePath.ROOT, SourceLocator.NONE));
    }

    @Test
    void sampleConfigs_validateAgainstTheConfigSchema() {
        for (ServiceConfig config : List.of(Samples.postgres(), Samples.compose())) {
            assertEquals(List.of(), SchemaValidator.shared().validate("service-config.json", Json.tree(config),
                    NodePath.ROOT, SourceLocator.NONE));
        }
    }

    @Test
    void everySchemaFile_isAValidDraft202012Schema_andAccountedFor() throws IOException {
        JsonSchema meta = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        Set<String> expectedFiles = new TreeSet<>(SHARED_SCHEMAS);
        EventTypes.ALL.forEach(type -> expectedFiles.add(EventTypes.schemaName(type)));
        Set<String> files = new TreeSet<>();
        try (Stream<Path> list = Files.list(SCHEMA_DIR)) {
            list.forEach(file -> files.add(file.getFileName().toString()));
        }

        assertEquals(expectedFiles, files);
        for (String file : files) {
            JsonNode schema = SchemaValidator.shared().schemaDocument(file);
            assertEquals(Set.of(), meta.validate(schema), file);
            assertEquals(SchemaValidator.BASE_URI + file, schema.get("$id").asText(), file);
        }
    }
}
