package io.berth.orchestrator.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.berth.events.Topics;
import io.berth.kafka.embedded.EmbeddedKafka;
import io.berth.orchestrator.BerthTopics;
import io.berth.orchestrator.state.ServiceState;
import io.berth.orchestrator.state.TaskPhase;
import io.berth.orchestrator.state.TaskRequest;
import io.berth.orchestrator.state.TaskSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reading {@code berth.orchestrator-state} from the real embedded broker (one per test), with and without a read ahead. */
class StateReaderTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int PARTITIONS = 3;
    private static final List<Integer> ALL = List.of(0, 1, 2);
    private EmbeddedKafka kafka;
    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void broker() {
        kafka = EmbeddedKafka.start();
        BerthTopics.ensure(kafka.bootstrapServers(), PARTITIONS);
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        producer.close();
        kafka.close();
    }

    @Test
    void readAfterAReadAhead_readsOnlyWhatCameSince_andHoldsWhatAFullReadHolds() throws Exception {
        for (int i = 0; i < 60; i++) {
            write("t" + i, TaskPhase.STARTING);
            write("t" + i, TaskPhase.READY);
        }
        write("gone-before", TaskPhase.READY);
        write("gone-before", null);
        StateReadAhead ahead = StateReadAhead.start(kafka.bootstrapServers(), TIMEOUT);
        ahead.take(List.of(), TIMEOUT); // taking nothing: waits for the pass to be done

        // after the pass: a task changes, one ends (tombstone), one is new, one is tombstoned and written again
        write("t1", TaskPhase.STOPPING);
        write("t2", null);
        write("new", TaskPhase.PLACING);
        write("t3", null);
        write("t3", TaskPhase.STARTING);

        StateReader.Read read = new StateReader(kafka.bootstrapServers(), ahead).read(ALL, TIMEOUT);
        StateReader.Read full = new StateReader(kafka.bootstrapServers()).read(ALL, TIMEOUT);

        assertEquals(5, read.records(), "only the records written after the read ahead are read");
        assertEquals(127, full.records());
        assertEquals(full.tasks(), read.tasks());
        assertEquals(60, read.tasks().size());
        assertEquals(TaskPhase.STOPPING, read.tasks().get("t1").phase());
        assertFalse(read.tasks().containsKey("t2"));
        assertFalse(read.tasks().containsKey("gone-before"));
        assertEquals(TaskPhase.STARTING, read.tasks().get("t3").phase());
        assertEquals(TaskPhase.READY, read.tasks().get("t4").phase());
    }

    @Test
    void partitionsAreTakenFromTheReadAheadOnce_aLaterReadStartsFromTheBeginning() throws Exception {
        String task = "once-" + System.nanoTime();
        write(task, TaskPhase.READY);
        int partition = StateReader.partitionOf(task, PARTITIONS);
        StateReadAhead ahead = StateReadAhead.start(kafka.bootstrapServers(), TIMEOUT);
        StateReader reader = new StateReader(kafka.bootstrapServers(), ahead);

        StateReader.Read first = reader.read(List.of(partition), TIMEOUT);
        StateReader.Read again = reader.read(List.of(partition), TIMEOUT);

        assertEquals(0, first.records());
        assertEquals(TaskPhase.READY, first.tasks().get(task).phase());
        assertEquals(first.tasks(), again.tasks());
        assertEquals(new StateReader(kafka.bootstrapServers()).read(List.of(partition), TIMEOUT).records(),
                again.records());
    }

    @Test
    void aReadAheadBeforeTheTopicsExist_readsNothing_andNeverCreatesTheStateTopic() throws Exception {
        // a broker that creates a topic a client asks about (Kafka's default): the read ahead runs beside
        // BerthTopics.ensure, and must not make the state topic first with the broker's defaults (not compacted)
        try (EmbeddedKafka creating = EmbeddedKafka.builder().property("auto.create.topics.enable", "true").start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, creating.bootstrapServers()))) {
            StateReadAhead ahead = StateReadAhead.start(creating.bootstrapServers(), TIMEOUT);
            assertEquals(Map.of(), ahead.take(ALL, TIMEOUT));

            assertFalse(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(Topics.ORCHESTRATOR_STATE));
        }
    }

    private void write(String task, TaskPhase phase) throws Exception {
        producer.send(new ProducerRecord<>(Topics.ORCHESTRATOR_STATE, task, phase == null ? null : snapshot(task, phase)))
                .get();
    }

    private static byte[] snapshot(String task, TaskPhase phase) {
        var request = new TaskRequest(task, null, null, List.of(
                new TaskRequest.RequestedService("db", "{\"image\":\"postgres:16\",\"ports\":[5432]}")), Map.of());
        return new TaskSnapshot(task, phase, request, "w-1", 1, null, null, 1_000, 2_000, List.of("k1"),
                List.of(new TaskSnapshot.Service("db", ServiceState.Status.STARTING, 0, null, null, null, null,
                        List.of(), null))).toJson();
    }
}
