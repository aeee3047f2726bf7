package io.berth.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.orchestrator.api.AdminSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OrchestratorSettingsTest {

    @Test
    void defaults_areTheDocumentedOnes() {
        OrchestratorSettings s = OrchestratorSettings.defaults("k:9092");

        assertThat(s.kafka()).isEqualTo(new OrchestratorSettings.Kafka("k:9092", "berth-orchestrator", 3,
                Duration.ofSeconds(45)));
        assertThat(s.grpc()).isEqualTo(new OrchestratorSettings.Grpc("0.0.0.0", 7700));
        assertThat(s.timeouts()).isEqualTo(new OrchestratorSettings.Timeouts(Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(120), Duration.ofHours(1),
                Duration.ofHours(24)));
        assertThat(s.admin()).isEqualTo(AdminSettings.LOOPBACK);
        assertThat(s.instance()).isNotBlank();
    }

    @Test
    void theBuilder_setsEachValueInItsGroup_andToBuilderKeepsTheRest() {
        OrchestratorSettings s = OrchestratorSettings.builder("k:9092").grpc("127.0.0.1", 0).instance("a")
                .agentTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2)).groupId("g").build();

        OrchestratorSettings changed = s.toBuilder().stopTimeout(Duration.ofSeconds(5)).build();

        assertThat(changed.timeouts().heartbeatTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(changed.timeouts().agentLost()).isEqualTo(Duration.ofSeconds(2));
        assertThat(changed.timeouts().stopTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(changed.grpc().port()).isZero();
        assertThat(changed.eventSource()).isEqualTo("berth://orchestrator/a");
        assertThat(changed.outputSource()).isEqualTo("berth://orchestrator/g");
    }

    @Test
    void badValues_areRefused_namingTheSetting() {
        assertThatThrownBy(() -> OrchestratorSettings.builder("k").stopTimeout(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("stopTimeout");
        assertThatThrownBy(() -> OrchestratorSettings.builder("k").topicPartitions(0).build())
                .hasMessageContaining("topicPartitions");
        assertThat(OrchestratorSettings.builder("k").maxTaskLifetime(Duration.ZERO).build().timeouts()
                .maxTaskLifetime()).isZero();
    }
}
