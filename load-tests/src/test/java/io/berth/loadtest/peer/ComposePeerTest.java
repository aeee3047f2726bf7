package io.berth.loadtest.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ComposePeerTest {
    @Test
    void parsePodmanTime_readsGosTimeStringWithItsFractionCut() {
        assertThat(ComposePeer.parsePodmanTime("2026-11-26 04:59:26.928650132 +0000 UTC"))
                .isEqualTo(Instant.parse("2026-11-26T04:59:26.928650132Z"));
        assertThat(ComposePeer.parsePodmanTime("2026-11-26 04:59:26.9286501 +0100 CET"))
                .isEqualTo(Instant.parse("2026-11-26T03:59:26.928650100Z"));
        assertThat(ComposePeer.parsePodmanTime("2026-11-26 04:59:26 +0000 UTC"))
                .isEqualTo(Instant.parse("2026-11-26T04:59:26Z"));
        assertThat(ComposePeer.parsePodmanTime("0001-01-01")).isNull();
    }
}
