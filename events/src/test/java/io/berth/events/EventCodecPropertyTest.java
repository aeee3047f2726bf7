package io.berth.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.JsonGenerators.Mutation;
import io.berth.events.json.Json;
import io.berth.events.payload.TaskStarted;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Whatever arrives on a topic, {@link EventCodec#decode} either returns an event whose payload maps to
 * its record and survives a round trip, or throws {@link InvalidEventException} whose errors name
 * the offending path and position. Nothing else may escape: a crash here would block a partition.
 *
 * <p>Each property draws from a new seed on every run; a failure reports the smallest falsifying value
 * it shrank to and the seed, which {@code -DQT_SEED=<seed>} replays, e.g.
 * {@code mvn -o test -pl events -Dtest='EventCodecPropertyTest#damagedEvents_areDecodedOrRejected' -DQT_SEED=…}.
 */
class EventCodecPropertyTest {
    private static final EventCodec CODEC = new EventCodec("berth://test/properties");
    /** What names become on a worker: a directory, a namespace suffix, a {@code ((.svc:NAME.…))} segment. */
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
    private static final String NOISE = " {}[]\\\",:0-9ez";
    /** One encoded sample event per type, every optional field set. */
    private static final Map<String, byte[]> VALID = new TreeMap<>();

    static {
        Samples.payloads().forEach((type, payload) -> VALID.put(type, CODEC.encode(payload)));
    }

    @Test
    void arbitraryBytes_areDecodedOrRejected() {
        Gen<byte[]> bytes = Generate.byteArrays(Generate.range(0, 300), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));

        qt().withExamples(1000).forAll(bytes.describedAs(EventCodecPropertyTest::show))
                .checkAssert(EventCodecPropertyTest::decodedOrRejected);
    }

    @Test
    void damagedEvents_areDecodedOrRejected() {
        qt().withExamples(1000).forAll(damagedEvents().describedAs(EventCodecPropertyTest::show))
                .checkAssert(EventCodecPropertyTest::decodedOrRejected);
    }

    @Test
    void anyJsonAsEvent_isDecodedOrRejected() {
        qt().withExamples(400).forAll(JsonGenerators.trees(4))
                .checkAssert(event -> decodedOrRejected(Json.bytes(event)));
    }

    @Test
    void anyJsonAsPayloadOfAKnownType_isDecodedOrRejected() {
        qt().withExamples(600).forAll(Generate.pick(List.copyOf(VALID.keySet())), JsonGenerators.trees(4))
                .checkAssert((type, data) -> {
                    ObjectNode event = (ObjectNode) tree(VALID.get(type));
                    event.set("data", data);
                    decodedOrRejected(Json.bytes(event));
                });
    }

    @Test
    void oneFieldChanged_isDecodedOrRejectedAtThatField() {
        qt().withExamples(1000).forAll(mutatedEvents()).checkAssert(event -> {
            InvalidEventException rejected = decodedOrRejected(event.bytes());

            if (rejected != null) {
                assertThat(rejected.errors()).as("errors about %s", event.mutation().jsonPath())
                        .anySatisfy(error -> assertThat(relatedToMutation(error.path(), event.mutation())).isTrue());
            }
        });
    }

    @Test
    void integerBeyondItsRecordField_isRejectedAtItsPath() {
        ObjectNode event = (ObjectNode) tree(VALID.get(EventTypes.SERVICE_STARTING));
        ((ObjectNode) event.get("data")).put("generation", new java.math.BigInteger("1180591620717411303424"));

        InvalidEventException rejected = decodedOrRejected(Json.bytes(event));

        assertThat(rejected).isNotNull();
        assertThat(rejected.errors()).singleElement().satisfies(error -> {
            assertThat(error.path()).isEqualTo("$.data.generation");
            assertThat(error.line()).isEqualTo(1);
            assertThat(error.message()).startsWith("cannot be read: Numeric value (1180591620717411303424) out of range of long");
        });
    }

    /** A sample event's bytes cut short or extended and up to four bytes overwritten with JSON punctuation. */
    private static Gen<byte[]> damagedEvents() {
        return Generate.pick(List.copyOf(VALID.values())).flatMap(valid -> {
            Gen<Pair<Integer, Character>> overwrite = Generate.range(0, 2 * valid.length - 1)
                    .zip(Generate.pick(NOISE.chars().mapToObj(c -> (char) c).toList()), Pair::of);
            return Generate.range(1, 2 * valid.length).zip(lists().of(overwrite).ofSizeBetween(0, 4), (n, overwrites) -> {
                byte[] damaged = Arrays.copyOf(valid, n);
                overwrites.forEach(at -> damaged[at._1 % n] = (byte) at._2.charValue());
                return damaged;
            });
        });
    }

    /** A sample event of each type with one of its nodes removed or replaced. */
    private static Gen<MutatedEvent> mutatedEvents() {
        Gen<JsonNode> replacements = JsonGenerators.replacements();
        Map<String, Gen<MutatedEvent>> byType = new TreeMap<>();
        VALID.forEach((type, bytes) -> {
            JsonNode valid = tree(bytes);
            byType.put(type, JsonGenerators.mutationsOf(valid, replacements)
                    .map(mutation -> new MutatedEvent(type, mutation, Json.bytes(mutation.applyTo(valid)))));
        });
        return Generate.pick(List.copyOf(byType.keySet())).flatMap(byType::get);
    }

    /** Bytes as the codec sees them: UTF-8 where they are, with their length. */
    private static String show(byte[] bytes) {
        return bytes.length + " bytes: " + new String(bytes, StandardCharsets.UTF_8);
    }

    /** A sample event of {@code type} with one field removed or replaced. */
    record MutatedEvent(String type, Mutation mutation, byte[] bytes) {
        @Override
        public String toString() {
            return type + ": " + mutation;
        }
    }

    /**
     * Decodes {@code bytes}; an accepted event must map to its record, round-trip and carry safe names.
     *
     * @return the rejection, or null when accepted
     */
    static InvalidEventException decodedOrRejected(byte[] bytes) {
        Envelope envelope;
        try {
            envelope = CODEC.decode(bytes);
        } catch (InvalidEventException e) {
            assertThat(e.errors()).isNotEmpty();
            assertThat(e.errors()).allSatisfy(error -> {
                assertThat(error.path()).startsWith("$");
                assertThat(error.message()).doesNotContain("Exception", "cannot validate");
            });
            return e;
        }
        Object payload = envelope.payload();
        assertThat(CODEC.decode(CODEC.encode(payload)).payload()).isEqualTo(payload);
        if (payload instanceof TaskStarted started) {
            started.services().forEach(service -> {
                assertThat(service.name()).matches(SAFE_NAME);
                if (service.config() != null) {
                    service.config().ports().forEach(port -> assertThat(port.name()).matches(SAFE_NAME));
                }
            });
        }
        return null;
    }

    /**
     * The error is about the changed node (or its container or content); subject and task id are checked
     * together; a service config's {@code type} (its prototype) decides what its {@code params} and {@code run}
     * may hold, as in {@code ServiceConfigPropertyTest}.
     */
    private static boolean relatedToMutation(String errorPath, Mutation mutation) {
        String mutated = mutation.jsonPath();
        boolean subjectOrTaskId = mutated.equals("$.subject") || mutated.equals("$.data.task_id");
        if (mutated.endsWith(".config.type")) {
            String config = mutated.substring(0, mutated.length() - ".type".length());
            if (JsonGenerators.related(errorPath, config + ".params") || JsonGenerators.related(errorPath, config + ".run")) {
                return true;
            }
        }
        return JsonGenerators.related(errorPath, mutated)
                || subjectOrTaskId && (errorPath.equals("$.subject") || errorPath.equals("$.data.task_id"));
    }

    private static JsonNode tree(byte[] json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
