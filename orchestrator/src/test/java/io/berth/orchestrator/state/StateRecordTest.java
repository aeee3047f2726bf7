package io.berth.orchestrator.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A state record never exceeds what the producer sends (issue 15, item 2). */
class StateRecordTest {
    private static TaskSnapshot snapshot(int services, int configChars, int tailLines) {
        List<TaskRequest.RequestedService> requested = new ArrayList<>();
        List<TaskSnapshot.Service> states = new ArrayList<>();
        for (int i = 0; i < services; i++) {
            requested.add(new TaskRequest.RequestedService("s" + i, "{\"x\":\"" + "c".repeat(configChars) + "\"}"));
            states.add(new TaskSnapshot.Service("s" + i, ServiceState.Status.values()[0], 0, null, null, null, null,
                    Collections.nCopies(tailLines, "l".repeat(2000)), null));
        }
        return new TaskSnapshot("t1", TaskPhase.values()[0], new TaskRequest("t1", null, null, requested, Map.of()),
                "w", 1, null, null, 0, 0, List.of(), states);
    }

    @Test
    void aSmallSnapshot_isWrittenWhole() {
        TaskSnapshot small = snapshot(2, 100, 5);
        assertThat(StateRecord.encode(small)).isEqualTo(small.toJson());
    }

    @Test
    void logTailsThatWouldMakeItTooLarge_areLeftOut() {
        TaskSnapshot tails = snapshot(32, 100, 20); // 32 x 20 x 2000 characters of log
        assertThat(tails.toJson().length).isGreaterThan(StateRecord.MAX_BYTES);
        byte[] record = StateRecord.encode(tails);
        assertThat(record.length).isLessThanOrEqualTo(StateRecord.MAX_BYTES);
        assertThat(TaskSnapshot.fromJson(record).services()).hasSize(32)
                .allSatisfy(s -> assertThat(s.logTail()).isEmpty());
    }

    @Test
    void aRequestTooLargeEvenSo_isRefused() {
        assertThatThrownBy(() -> StateRecord.encode(snapshot(32, 30_000, 0)))
                .isInstanceOf(StateRecord.TooLargeException.class).hasMessageContaining("task t1");
    }
}
