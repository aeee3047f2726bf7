package io.berth.orchestrator.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Json;
import io.berth.events.Topics;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.TaskStarted;
import io.berth.orchestrator.state.TaskInput;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventTranslatorTest {
    private final EventCodec ci = new EventCodec("ci://test");
    private final EventTranslator translator = new EventTranslator(new EventCodec("berth://orchestrator/test"));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "not JSON                 | {oops                                                   | malformed-json",
        "JSON but not an object   | [1,2]                                                   | invalid-event",
        "unknown type             | UNKNOWN_TYPE                                            | unknown-type",
        "invalid service config   | INVALID_CONFIG                                          | invalid-service-config",
        "no services              | NO_SERVICES                                             | no-services",
        "service twice            | TWICE                                                   | invalid-service-config",
        "service event, task topic| SERVICE_EVENT                                           | unexpected-type",
        "key is not the task id   | KEY_MISMATCH                                            | key-mismatch",
    })
    void badRecords_areRejectedWithAStableReason(String what, String value, String reason) {
        String key = "t1";
        byte[] bytes = switch (value) {
            case "UNKNOWN_TYPE" -> withType(started("t1"), "berth.task.exploded.v1");
            case "INVALID_CONFIG" -> ci.encode(EventTypes.TASK_STARTED, "t1", Json.read(
                    Json.bytes(Map.of("task_id", "t1", "services", List.of(Map.of("name", "pg", "config",
                            Map.of("run", Map.of("path", "postgres"), "ports", List.of(Map.of("number", 1))))))),
                    TaskStarted.class));
            case "NO_SERVICES" -> ci.encode(EventTypes.TASK_STARTED, "t1",
                    new TaskStarted("t1", null, null, List.of(), Map.of()));
            case "TWICE" -> ci.encode(EventTypes.TASK_STARTED, "t1", Json.read(Json.bytes(Map.of("task_id", "t1",
                    "services", List.of(service("pg"), service("pg")))), TaskStarted.class));
            case "SERVICE_EVENT" -> ci.encode(EventTypes.SERVICE_STARTING, "t1",
                    new ServiceStarting("t1", "pg", "w1", 1, 1L));
            case "KEY_MISMATCH" -> {
                key = "other";
                yield started("t1");
            }
            default -> value.getBytes(StandardCharsets.UTF_8);
        };
        if (value.equals("INVALID_CONFIG")) {
            bytes = breakPort(bytes);
        }
        var t = translator.translate(Topics.TASK_EVENTS, key, bytes);
        assertFalse(t.isAccepted(), what);
        assertEquals(reason, t.rejection().reason(), t.rejection().message());
    }

    @Test
    void validTaskStarted_becomesARequestWithResolvedConfigs() {
        byte[] bytes = ci.encode(EventTypes.TASK_STARTED, "t1", Json.read(Json.bytes(Map.of("task_id", "t1",
                "worker", "w1",
                "services", List.of(Map.of("name", "pg", "image", "postgres:16", "params", Map.of("A", "b"),
                        "config", Map.of("run", Map.of("path", "postgres"),
                                "ports", List.of(Map.of("number", 5432))))))), TaskStarted.class));
        var t = translator.translate(Topics.TASK_EVENTS, "t1", bytes);
        assertTrue(t.isAccepted(), () -> t.rejection().toString());
        var started = assertInstanceOf(TaskInput.Started.class, t.input());
        assertEquals("w1", started.request().worker());
        JsonNode config = readTree(started.request().services().get(0).configJson().getBytes(StandardCharsets.UTF_8));
        assertEquals("postgres:16", config.path("image").asText());
        assertEquals("b", config.path("params").path("A").asText());
        assertEquals(5432, config.path("ports").path(0).path("number").asInt());
    }

    @Test
    void nonUtf8Value_isKeptAsBase64InTheDeadLetter() {
        byte[] garbage = {(byte) 0xff, (byte) 0xfe, 0x00, 0x41};
        var t = translator.translate(Topics.TASK_EVENTS, "t1", garbage);
        DeadLetter letter = DeadLetter.of(t.rejection(), Topics.TASK_EVENTS, 0, 7, "t1", garbage, "berth://x");
        JsonNode json = readTree(letter.toJson());
        assertEquals("base64", json.path("original_encoding").asText());
        assertEquals("//4AQQ==", json.path("original").asText());
        assertEquals(7, json.path("offset").asLong());
        assertEquals("malformed-json", json.path("reason").asText());
        assertTrue(json.path("errors").isArray());
    }

    private byte[] started(String taskId) {
        return ci.encode(EventTypes.TASK_STARTED, taskId, Json.read(Json.bytes(Map.of("task_id", taskId,
                "services", List.of(service("pg")))), TaskStarted.class));
    }

    private static Map<String, Object> service(String name) {
        return Map.of("name", name, "config", Map.of("run", Map.of("path", "sleep"),
                "ports", List.of(Map.of("number", 5432))));
    }

    private static byte[] withType(byte[] event, String type) {
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) readTree(event);
        node.put("type", type);
        return Json.bytes(node);
    }

    /** Port 70000 is outside 1..65535: the schema must refuse it. */
    private static byte[] breakPort(byte[] event) {
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) readTree(event);
        ((com.fasterxml.jackson.databind.node.ObjectNode) node.path("data").path("services").path(0).path("config")
                .path("ports").path(0)).put("number", 70000);
        return Json.bytes(node);
    }

    private static JsonNode readTree(byte[] bytes) {
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
