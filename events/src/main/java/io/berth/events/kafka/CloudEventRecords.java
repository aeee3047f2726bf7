package io.berth.events.kafka;

import io.berth.events.KafkaBinding;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Kafka records of Berth events, as the CloudEvents Kafka binding has them: what Berth writes is structured mode
 * with its {@code content-type} header (which the CloudEvents SDK's deserializer needs to tell the mode), and what it
 * reads comes with its headers, so binary mode can be read too ({@link KafkaBinding}).
 */
public final class CloudEventRecords {
    private static final byte[] STRUCTURED = KafkaBinding.STRUCTURED_CONTENT_TYPE.getBytes(StandardCharsets.UTF_8);

    private CloudEventRecords() {}

    /** A record of one encoded event (structured mode), keyed by its task id. */
    public static ProducerRecord<String, byte[]> structured(String topic, String taskId, byte[] event) {
        Headers headers = new RecordHeaders().add(KafkaBinding.CONTENT_TYPE_HEADER, STRUCTURED);
        return new ProducerRecord<>(topic, null, taskId, event, headers);
    }

    /** The record's headers as UTF-8 text (the binding's headers are strings); of a repeated header, the last. */
    public static Map<String, String> headers(Headers headers) {
        Map<String, String> out = new HashMap<>();
        if (headers == null) {
            return out;
        }
        for (Header header : headers) {
            if (header.value() != null) {
                out.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }
}
