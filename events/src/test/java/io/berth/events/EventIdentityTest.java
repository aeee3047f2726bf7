package io.berth.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.json.Json;
import io.berth.events.payload.TaskServicesReleased;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What makes two events the same event (source + id), and the extension attributes a producer adds. */
class EventIdentityTest {
    private final TaskServicesReleased released = new TaskServicesReleased("t-1", "w-1", List.of());

    @Test
    void encodeOnce_givesTheSameIdForTheSameKey_andAnotherForAnotherKeyOrType() throws Exception {
        EventCodec a = new EventCodec("berth://orchestrator/group", Map.of("berthinstance", "a"));
        EventCodec b = new EventCodec("berth://orchestrator/group", Map.of("berthinstance", "b"));

        Envelope first = a.decode(a.encodeOnce(EventTypes.TASK_SERVICES_RELEASED, "t-1", released, "t-1 run 1"));
        Envelope repeat = b.decode(b.encodeOnce(EventTypes.TASK_SERVICES_RELEASED, "t-1", released, "t-1 run 1"));
        Envelope nextRun = a.decode(a.encodeOnce(EventTypes.TASK_SERVICES_RELEASED, "t-1", released, "t-1 run 2"));

        assertThat(repeat.dedupeKey()).isEqualTo(first.dedupeKey());
        assertThat(nextRun.dedupeKey()).isNotEqualTo(first.dedupeKey());
        assertThat(a.decode(a.encode(released)).dedupeKey()).isNotEqualTo(a.decode(a.encode(released)).dedupeKey());
    }

    @Test
    void extensionAttributes_areCarried_andAcceptedByTheDecoder() throws Exception {
        EventCodec codec = new EventCodec("berth://orchestrator/group", Map.of("berthinstance", "orch-a"));
        byte[] event = codec.encode(released);

        assertThat(Json.MAPPER.readTree(event).path("berthinstance").asText()).isEqualTo("orch-a");
        assertThat(new EventCodec("x").decode(event).payload(TaskServicesReleased.class)).isEqualTo(released);
    }
}
