package io.berth.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.json.Json;
import io.berth.events.payload.TaskEnded;
import io.berth.events.config.ServiceRequest;
import io.berth.events.payload.TaskStarted;
import io.berth.events.validation.ValidationError;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class EventCodecTest {
    private final EventCodec codec = new EventCodec("berth://test/host-1");

    static Stream<String> eventTypes() {
        return EventTypes.ALL.stream().sorted();
    }

    @ParameterizedTest
    @MethodSource("eventTypes")
    void everyEventType_roundTripsThroughTheCodec(String type) {
        Object payload = Samples.payloads().get(type);

        Envelope envelope = codec.decode(codec.encode(type, Samples.TASK, payload));

        assertEquals(type, envelope.type());
        assertEquals(Samples.TASK, envelope.subject());
        assertEquals("berth://test/host-1", envelope.source());
        assertEquals(payload, envelope.payload(payload.getClass()));
        assertEquals(payload, envelope.payload());
        assertTrue(Duration.between(envelope.time(), OffsetDateTime.now()).abs().toSeconds() < 60);
    }

    @Test
    void aNullNestedInAServicesParams_isWrittenAndReadBack() {
        java.util.Map<String, Object> inner = new java.util.HashMap<>();
        inner.put("replica", null);
        java.util.Map<String, Object> params = new java.util.HashMap<>();
        params.put("DB", inner);
        TaskStarted started = new TaskStarted(Samples.TASK, "worker-1", Samples.NETWORK, java.util.List.of(
                new ServiceRequest("postgres", null, Samples.postgres(), "postgres:16", params)), Map.of(), 30);

        assertEquals(started, codec.decode(codec.encode(started)).payload());
    }

    @Test
    void encode_writesStructuredCloudEvent() throws Exception {
        byte[] bytes = codec.encode(new TaskEnded(Samples.TASK, "failed"));

        var json = Json.MAPPER.readTree(bytes);
        assertEquals("1.0", json.get("specversion").asText());
        assertEquals(EventTypes.TASK_ENDED, json.get("type").asText());
        assertEquals("application/json", json.get("datacontenttype").asText());
        assertEquals("{\"task_id\":\"task-42\",\"outcome\":\"failed\"}", json.get("data").toString());
    }

    @Test
    void encode_givesEveryEventItsOwnIdAndDedupeKey() {
        Envelope first = codec.decode(codec.encode(new TaskEnded(Samples.TASK, "failed")));
        Envelope second = codec.decode(codec.encode(new TaskEnded(Samples.TASK, "failed")));

        assertNotEquals(first.id(), second.id());
        assertEquals("berth://test/host-1 " + first.id(), first.dedupeKey());
        assertNotEquals(first.dedupeKey(), second.dedupeKey());
    }

    @Test
    void encode_rejectsSubjectOtherThanTaskId() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> codec.encode(EventTypes.TASK_ENDED, "other", new TaskEnded(Samples.TASK, "failed")));
        assertTrue(e.getMessage().contains("task_id"), e.getMessage());
    }

    @Test
    void encode_rejectsPayloadOfAnotherType() {
        assertThrows(IllegalArgumentException.class,
                () -> codec.encode(EventTypes.TASK_STARTED, Samples.TASK, new TaskEnded(Samples.TASK, "failed")));
    }

    static Stream<Arguments> invalidEvents() {
        String valid = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"ci\",\"type\":\"berth.task.ended.v1\","
                + "\"subject\":\"t1\",\"data\":{\"task_id\":\"t1\",\"outcome\":\"failed\"}}";
        return Stream.of(
                Arguments.of("malformed JSON", "{\"specversion\":\"1.0\",\n  \"id\": }",
                        List.of("$ (line 2, column 9): malformed JSON: Unexpected character ('}' (code 125)): expected a value")),
                Arguments.of("not an object", "[1]",
                        List.of("$ (line 1, column 1): an event must be a JSON object, not array")),
                Arguments.of("unknown type", valid.replace("berth.task.ended.v1", "berth.task.paused.v1"),
                        List.of("$.type (line 1, column 52): unknown event type 'berth.task.paused.v1'")),
                // without a subject the task is data.task_id (or the record key): missing only when both are
                Arguments.of("missing subject and task id", valid.replace("\"subject\":\"t1\",", "")
                                .replace("{\"task_id\":\"t1\",", "{"),
                        List.of("$ (line 1, column 1): missing required attribute 'subject'",
                                "$.data (line 1, column 81): missing required field 'task_id'")),
                Arguments.of("subject is not the task id", valid.replace("\"subject\":\"t1\"", "\"subject\":\"t2\""),
                        List.of("$.data.task_id (line 1, column 107): must equal the subject 't2', is 't1'")),
                Arguments.of("wrong specversion and id type", valid.replace("\"1.0\"", "\"0.3\"").replace("\"id\":\"1\"", "\"id\":1"),
                        List.of("$.specversion (line 1, column 16): must be '1.0', is '0.3'",
                                "$.id (line 1, column 27): must be a string, not an integer")),
                Arguments.of("payload field of the wrong type", valid.replace("\"outcome\":\"failed\"", "\"outcome\":3"),
                        List.of("$.data.outcome (line 1, column 122): must be a string, not an integer")),
                Arguments.of("payload missing its task id and with a stray field",
                        valid.replace("\"task_id\":\"t1\",\"outcome\"", "\"taskid\":\"t1\",\"outcome\""),
                        List.of("$.data (line 1, column 96): missing required field 'task_id'",
                                "$.data.taskid (line 1, column 97): unknown field 'taskid' (did you mean 'task_id'?)")),
                Arguments.of("no data", valid.replace(",\"data\":{\"task_id\":\"t1\",\"outcome\":\"failed\"}", ""),
                        List.of("$ (line 1, column 1): missing required attribute 'data' (the payload)")),
                Arguments.of("bad time", valid.replace("\"subject\"", "\"time\":\"yesterday\",\"subject\""),
                        List.of("$.time (line 1, column 81): must be an RFC 3339 timestamp, is 'yesterday'")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidEvents")
    void invalidEvent_isRejectedWithEveryError(String why, String json, List<String> expected) {
        var e = assertThrows(InvalidEventException.class, () -> codec.decode(json.getBytes(StandardCharsets.UTF_8)));

        assertEquals(expected, e.errors().stream().map(ValidationError::toString).toList());
        for (String error : expected) {
            assertTrue(e.getMessage().contains(error), e.getMessage());
        }
    }

    @Test
    void inlineServiceConfigError_pointsIntoThePayload() throws Exception {
        ObjectNode event = (ObjectNode) Json.MAPPER.readTree(codec.encode(Samples.payloads().get(EventTypes.TASK_STARTED)));
        ((ObjectNode) event.at("/data/services/0/config/ports/0")).put("number", 70000);
        byte[] pretty = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(event);
        String text = new String(pretty, StandardCharsets.UTF_8);
        int line = (int) text.substring(0, text.indexOf("70000")).chars().filter(c -> c == '\n').count() + 1;

        var e = assertThrows(InvalidEventException.class, () -> codec.decode(pretty));

        ValidationError error = e.errors().get(0);
        assertEquals("$.data.services[0].config.ports[0].number", error.path());
        assertEquals(line, error.line());
        assertEquals("must be between 1 and 65535", error.message());
    }

    @Test
    void taskStartedWithDuplicateServicesOrNoConfig_isRejected() {
        String json = """
                {"specversion":"1.0","id":"1","source":"ci","type":"berth.task.started.v1","subject":"t1",
                 "data":{"task_id":"t1","services":[
                   {"name":"db","file":"ci/db.yml"},
                   {"name":"db"}]}}""";

        var e = assertThrows(InvalidEventException.class, () -> codec.decode(json.getBytes(StandardCharsets.UTF_8)));

        assertEquals(List.of(
                "$.data.services[1] (line 4, column 4): missing 'file' or 'config': a service needs a config",
                "$.data.services[1].name (line 4, column 12): duplicate service name 'db' (also services[0])"),
                e.errors().stream().map(ValidationError::toString).toList());
    }

    @Test
    void oversizedEvent_isRejectedUnparsed() {
        byte[] huge = new byte[EventCodec.MAX_EVENT_BYTES + 1];

        var e = assertThrows(InvalidEventException.class, () -> codec.decode(huge));

        assertEquals("$: event too large: 1048577 bytes, at most 1048576 allowed", e.errors().get(0).toString());
        assertEquals(InvalidEventException.Problem.TOO_LARGE, e.problem());
    }

    /** Callers tell rejections apart by their kind, never by their message text. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "EMPTY        | ",
        "MALFORMED    | {oops",
        "UNKNOWN_TYPE | {\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"ci\",\"type\":\"berth.nope.v1\",\"subject\":\"t1\",\"data\":{}}",
        "INVALID      | {\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"ci\",\"type\":\"berth.task.ended.v1\",\"subject\":\"t1\",\"data\":{}}",
        "INVALID      | [1,2]",
    })
    void rejection_saysWhatKindOfProblemItIs(InvalidEventException.Problem problem, String json) {
        byte[] bytes = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);

        var e = assertThrows(InvalidEventException.class, () -> codec.decode(bytes));

        assertEquals(problem, e.problem(), e.getMessage());
    }

    @Test
    void taskStartedFromAnotherProducer_acceptsConfigInItsFileForm() {
        String json = """
                {"specversion":"1.0","id":"1","source":"ci","type":"berth.task.started.v1","subject":"t1",
                 "data":{"task_id":"t1","services":[{"name":"web","config":{"type":"docker-compose","ports":[{"number":80}]}}]}}""";

        TaskStarted started = codec.decode(json.getBytes(StandardCharsets.UTF_8)).payload(TaskStarted.class);

        var config = started.services().get(0).config();
        assertEquals("up", config.run().message());
        assertEquals("default", config.ports().get(0).name());
        assertEquals(10, config.terminationGraceSeconds());
    }
}
