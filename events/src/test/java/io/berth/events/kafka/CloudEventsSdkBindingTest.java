package io.berth.events.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.events.Envelope;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.InvalidEventException;
import io.berth.events.KafkaBinding;
import io.berth.events.Samples;
import io.berth.events.json.Json;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Berth and a CI platform written against the official CloudEvents SDK ({@code cloudevents-kafka}) read each other's
 * records: every event type, written by the SDK in binary and in structured mode, is read by Berth's codec; every
 * record Berth writes is read by the SDK's deserializer.
 */
class CloudEventsSdkBindingTest {
    private static final String TOPIC = "berth.task-events";
    private final EventCodec codec = new EventCodec("berth://test");

    static Stream<Arguments> typesAndModes() {
        return EventTypes.ALL.stream().sorted()
                .flatMap(type -> Stream.of(Encoding.BINARY, Encoding.STRUCTURED).map(mode -> Arguments.of(type, mode)));
    }

    @ParameterizedTest(name = "{0} in {1} mode")
    @MethodSource("typesAndModes")
    void sdkRecord_isReadByBerth(String type, Encoding mode) throws Exception {
        Object payload = Samples.payloads().get(type);
        CloudEvent event = sdkEvent(type, Samples.TASK, payload);
        Headers headers = new RecordHeaders();
        byte[] value = serializer(mode).serialize(TOPIC, headers, event);
        if (mode == Encoding.BINARY) {
            assertEquals(type, new String(headers.lastHeader("ce_type").value(), StandardCharsets.UTF_8));
        }

        Envelope read = codec.decode(value, CloudEventRecords.headers(headers), Samples.TASK);

        assertEquals(type, read.type());
        assertEquals(event.getId(), read.id());
        assertEquals("ci://platform/job-7", read.source());
        assertEquals(Samples.TASK, read.subject());
        assertEquals(Json.MAPPER.readTree(Json.bytes(payload)), read.data());
        assertEquals(payload, read.payload());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void berthRecord_isReadBySdk(String type) throws Exception {
        Object payload = Samples.payloads().get(type);
        ProducerRecord<String, byte[]> record = CloudEventRecords.structured(TOPIC, Samples.TASK,
                codec.encode(type, Samples.TASK, payload));

        CloudEvent read = deserializer().deserialize(TOPIC, record.headers(), record.value());

        assertEquals(type, read.getType());
        assertEquals(Samples.TASK, read.getSubject());
        assertEquals("berth://test", read.getSource().toString());
        assertEquals(Json.MAPPER.readTree(Json.bytes(payload)), Json.MAPPER.readTree(read.getData().toBytes()));
        assertEquals("application/cloudevents+json; charset=UTF-8",
                new String(record.headers().lastHeader("content-type").value(), StandardCharsets.UTF_8));
    }

    static Stream<String> types() {
        return EventTypes.ALL.stream().sorted();
    }

    @Test
    void binaryEventWithoutSubject_takesTheTaskFromTheKey_elseFromTaskId() {
        CloudEvent noSubject = sdkEvent(EventTypes.TASK_ENDED, null, Samples.payloads().get(EventTypes.TASK_ENDED));
        Headers headers = new RecordHeaders();
        byte[] value = serializer(Encoding.BINARY).serialize(TOPIC, headers, noSubject);
        assertNull(headers.lastHeader("ce_subject"));

        assertEquals(Samples.TASK, codec.decode(value, CloudEventRecords.headers(headers), Samples.TASK).subject());
        assertEquals(Samples.TASK, codec.decode(value, CloudEventRecords.headers(headers), null).subject());
        var wrongKey = assertThrows(InvalidEventException.class,
                () -> codec.decode(value, CloudEventRecords.headers(headers), "another-task"));
        assertTrue(wrongKey.getMessage().contains("$.data.task_id"), wrongKey.getMessage());
    }

    @Test
    void binaryEventWithBadPayload_namesTheFieldAndTheAttributes() {
        Headers headers = new RecordHeaders();
        byte[] value = serializer(Encoding.BINARY).serialize(TOPIC, headers, CloudEventBuilder.v1()
                .withId("1").withSource(URI.create("ci://x")).withType(EventTypes.TASK_ENDED)
                .withDataContentType("application/json")
                .withData("{\"task_id\": 7}".getBytes(StandardCharsets.UTF_8)).build());
        headers.remove("ce_specversion");
        headers.add("ce_specversion", "0.3".getBytes(StandardCharsets.UTF_8));

        var e = assertThrows(InvalidEventException.class,
                () -> codec.decode(value, CloudEventRecords.headers(headers), null));

        assertTrue(e.getMessage().contains("$.specversion") && e.getMessage().contains("must be '1.0'"), e.getMessage());
        assertTrue(e.getMessage().contains("$.data.task_id"), e.getMessage());
    }

    @Test
    void binaryEventWhosePayloadIsNotJson_isMalformed() {
        Map<String, String> headers = Map.of("ce_specversion", "1.0", "ce_id", "1", "ce_source", "ci://x",
                "ce_type", EventTypes.TASK_ENDED, "content-type", "application/json");
        var e = assertThrows(InvalidEventException.class,
                () -> codec.decode("not json".getBytes(StandardCharsets.UTF_8), headers, "t"));
        assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());
        assertTrue(KafkaBinding.isBinary(headers));
    }

    private static CloudEvent sdkEvent(String type, String subject, Object payload) {
        return CloudEventBuilder.v1()
                .withId(UUID.randomUUID().toString())
                .withSource(URI.create("ci://platform/job-7"))
                .withType(type)
                .withSubject(subject) // null: no subject attribute
                .withTime(OffsetDateTime.now())
                .withDataContentType("application/json")
                .withData(Json.bytes(payload))
                .build();
    }

    private static CloudEventSerializer serializer(Encoding mode) {
        CloudEventSerializer serializer = new CloudEventSerializer();
        serializer.configure(mode == Encoding.STRUCTURED
                ? Map.of(CloudEventSerializer.ENCODING_CONFIG, Encoding.STRUCTURED,
                        CloudEventSerializer.EVENT_FORMAT_CONFIG, JsonFormat.CONTENT_TYPE)
                : Map.of(), false);
        return serializer;
    }

    private static CloudEventDeserializer deserializer() {
        CloudEventDeserializer deserializer = new CloudEventDeserializer();
        deserializer.configure(Map.of(), false);
        return deserializer;
    }
}
