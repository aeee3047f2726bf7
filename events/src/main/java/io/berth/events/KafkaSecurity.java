package io.berth.events;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The Kafka clients' security settings of a deployment, so a broker can be locked (TLS, SASL): the Java properties
 * file named by {@code BERTH_KAFKA_PROPERTIES}, whose {@code security.*}, {@code sasl.*} and {@code ssl.*} entries
 * are added to every producer, consumer and admin client Berth makes — exactly Kafka's own client settings, e.g.
 *
 * <pre>{@code
 * security.protocol=SASL_SSL
 * sasl.mechanism=SCRAM-SHA-512
 * sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="berth" password="…";
 * ssl.truststore.location=/etc/berth/kafka-truststore.p12
 * ssl.truststore.password=…
 * }</pre>
 *
 * Other keys are refused: Berth's own delivery settings ({@code acks}, idempotence, timeouts) are what its
 * guarantees rest on. No Kafka dependency: the settings are plain strings.
 */
public final class KafkaSecurity {
    /** The environment variable naming the properties file. */
    public static final String VARIABLE = "BERTH_KAFKA_PROPERTIES";

    private KafkaSecurity() {}

    /** {@code base} plus the settings of {@code $BERTH_KAFKA_PROPERTIES} (none when it is unset). */
    public static Map<String, Object> with(Map<String, Object> base) {
        return with(base, System.getenv(VARIABLE));
    }

    /** {@code base} plus the settings of the properties file {@code file} (none when null or blank). */
    public static Map<String, Object> with(Map<String, Object> base, String file) {
        Map<String, Object> out = new HashMap<>(base);
        out.putAll(settings(file));
        return out;
    }

    /** The security settings in the properties file {@code file}; empty when null or blank. */
    public static Map<String, String> settings(String file) {
        if (file == null || file.isBlank()) {
            return Map.of();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(VARIABLE + ": cannot read " + file, e);
        }
        Map<String, String> out = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (!(key.startsWith("security.") || key.startsWith("sasl.") || key.startsWith("ssl."))) {
                throw new IllegalArgumentException(VARIABLE + " (" + file + "): '" + key + "' is not a security "
                        + "setting; only security.*, sasl.* and ssl.* are taken");
            }
            out.put(key, p.getProperty(key));
        }
        return out;
    }
}
