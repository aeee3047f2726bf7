package io.berth.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSecurityTest {
    @TempDir
    Path dir;

    @Test
    void securitySettings_areAddedToEveryClientsConfig() throws Exception {
        Path file = dir.resolve("kafka.properties");
        Files.writeString(file, """
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="b" password="p";
                ssl.truststore.location=/etc/berth/truststore.p12
                """);
        Map<String, Object> config = KafkaSecurity.with(Map.of("bootstrap.servers", "k:9093", "acks", "all"),
                file.toString());
        assertThat(config).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism",
                "SCRAM-SHA-512").containsEntry("ssl.truststore.location", "/etc/berth/truststore.p12")
                .containsEntry("bootstrap.servers", "k:9093").containsEntry("acks", "all");
        assertThat(KafkaSecurity.with(Map.of("acks", "all"), null)).isEqualTo(Map.of("acks", "all"));
    }

    @Test
    void aSettingBerthsGuaranteesRestOn_isRefused() throws Exception {
        Path file = dir.resolve("kafka.properties");
        Files.writeString(file, "security.protocol=SSL\nacks=0\n");
        assertThatThrownBy(() -> KafkaSecurity.with(Map.of(), file.toString()))
                .hasMessageContaining("'acks' is not a security setting");
    }
}
