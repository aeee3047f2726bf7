package io.berth.orchestrator.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SeenEventsTest {

    @Test
    void aKeyIsSeenOnce_andOtherKeysAreNot() {
        var seen = new SeenEvents();
        assertTrue(seen.add("berth://agent/w1 e-1"));
        assertFalse(seen.add("berth://agent/w1 e-1"));
        assertTrue(seen.contains("berth://agent/w1 e-1"));
        assertFalse(seen.contains("berth://agent/w1 e-2"));
        assertFalse(seen.contains("berth://agent/w2 e-1"));
        assertEquals(1, seen.size());
    }

    @Test
    void manyKeys_growTheArray_andAllStaySeen() {
        var seen = new SeenEvents();
        for (int i = 0; i < 1_000; i++) {
            assertTrue(seen.add("ci://pipeline/42 event-" + i));
        }
        for (int i = 0; i < 1_000; i++) {
            assertTrue(seen.contains("ci://pipeline/42 event-" + i), "event-" + i);
        }
        assertFalse(seen.contains("ci://pipeline/42 event-1000"));
    }

    @Test
    void whatASnapshotCarries_restoresTheSameKeys() {
        var seen = new SeenEvents();
        seen.add("ci://pipeline/42 b");
        seen.add("ci://pipeline/42 a");
        List<String> snapshot = seen.forSnapshot();
        assertEquals(2, snapshot.size());
        assertTrue(snapshot.stream().allMatch(f -> f.matches("#[0-9a-f]{32}")), snapshot.toString());
        assertEquals(snapshot.stream().sorted().toList(), snapshot);

        var restored = new SeenEvents();
        snapshot.forEach(restored::add);
        assertTrue(restored.contains("ci://pipeline/42 a"));
        assertTrue(restored.contains("ci://pipeline/42 b"));
        assertFalse(restored.add("ci://pipeline/42 a"));
        assertEquals(snapshot, restored.forSnapshot());
    }

    @Test
    void aSnapshotWithTheKeysThemselves_asOlderOrchestratorsWroteThem_readsTheSame() {
        var restored = new SeenEvents();
        restored.add("ci://pipeline/42 a");
        assertTrue(restored.contains("ci://pipeline/42 a"));
        assertFalse(restored.add("ci://pipeline/42 a"));
    }

    @Test
    void aKeyThatLooksLikeAFingerprint_butHasASpace_isAKey() {
        var seen = new SeenEvents();
        String odd = "#0123456789abcdef 123456789abcdef"; // a source "#0123456789abcdef" and an id: 33 characters
        assertTrue(seen.add(odd));
        assertTrue(seen.contains(odd));
        assertFalse(seen.contains("#0123456789abcdef0123456789abcdef"));
    }
}
