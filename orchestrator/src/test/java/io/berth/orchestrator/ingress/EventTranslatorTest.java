package io.berth.orchestrator.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.json.Json;
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
        assertEquals(reason, t.rejection().reason().code(), t.rejection().message());
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

    @Test
    void refusedTaskStarted_isAnsweredForItsTask_inBothModes_withSecretsMasked() {
        var data = (com.fasterxml.jackson.databind.node.ObjectNode) readTree(breakPort(started("t9"))).path("data");
        ((com.fasterxml.jackson.databind.node.ObjectNode) data.path("services").path(0))
                .set("params", Json.MAPPER.valueToTree(Map.of("DB_PASSWORD", "hunter2-s3cret")));
        // a validation message that quotes the secret (an enum error says what it got)
        data.set("network", Json.MAPPER.valueToTree(Map.of("mode", "hunter2-s3cret")));
        // structured mode, without a subject: the key names the task
        var structured = (com.fasterxml.jackson.databind.node.ObjectNode) readTree(started("t9"));
        structured.remove("subject");
        structured.set("data", data);
        // binary mode: the attributes in headers, the payload as the value
        Map<String, String> headers = Map.of("ce_specversion", "1.0", "ce_id", "b-1", "ce_source", "ci://sdk",
                "ce_type", EventTypes.TASK_STARTED, "content-type", "application/json");
        for (var t : List.of(translator.translate(Topics.TASK_EVENTS, "t9", Map.of(), Json.bytes(structured)),
                translator.translate(Topics.TASK_EVENTS, "t9", headers, Json.bytes(data)))) {
            assertFalse(t.isAccepted());
            assertEquals("t9", t.envelope().subject());
            var answer = assertInstanceOf(TaskInput.Rejected.class, t.input());
            assertTrue(answer.reason().contains("$.data.services[0].config.ports[0].number"), answer.reason());
            assertTrue(answer.reason().contains("$.data.network.mode"), answer.reason());
            assertTrue(t.rejection().message().contains("hunter2-s3cret"), "the unmasked message quotes it");
            assertFalse(answer.reason().contains("hunter2"), answer.reason());
        }
        // a refused record that is not a task.started is only dead-lettered
        var other = translator.translate(Topics.TASK_EVENTS, "t9", Map.of(), withType(started("t9"), "berth.nope.v1"));
        assertEquals(null, other.input());
    }

    @Test
    void deadLetterOfABinaryModeRecord_keepsItsAttributeHeaders() {
        Map<String, String> attributes = Map.of("ce_specversion", "1.0", "ce_id", "b-3", "ce_source", "ci://sdk",
                "ce_type", "berth.task.vanished.v1", "content-type", "application/json");
        Map<String, String> headers = new java.util.HashMap<>(attributes);
        headers.put("traceparent", "00-abc-def-01");
        byte[] value = "{\"task_id\": \"t7\"}".getBytes(StandardCharsets.UTF_8);
        var t = translator.translate(Topics.TASK_EVENTS, "t7", headers, value);

        DeadLetter letter = DeadLetter.of(t.rejection(), Topics.TASK_EVENTS, 0, 3, "t7", headers, value, "berth://x");

        assertEquals(DeadLetter.Reason.UNKNOWN_TYPE, letter.reason());
        assertEquals("unknown-type", Json.tree(letter).path("reason").asText()); // the code on the wire
        assertEquals("berth.task.vanished.v1", letter.eventType());
        assertEquals("b-3", letter.eventId());
        assertEquals(new java.util.TreeMap<>(attributes), letter.originalHeaders());
    }

    @Test
    void binaryModeEvent_isAccepted_withTheTaskFromTheKey() {
        Map<String, String> headers = Map.of("ce_specversion", "1.0", "ce_id", "b-2", "ce_source", "ci://sdk",
                "ce_type", EventTypes.TASK_ENDED, "content-type", "application/json");
        var t = translator.translate(Topics.TASK_EVENTS, "t8", headers,
                "{\"task_id\": \"t8\", \"outcome\": \"succeeded\"}".getBytes(StandardCharsets.UTF_8));
        assertTrue(t.isAccepted(), () -> t.rejection().message());
        assertEquals("t8", t.envelope().subject());
        assertEquals("ci://sdk b-2", t.envelope().dedupeKey());
        assertInstanceOf(TaskInput.Ended.class, t.input());
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
