package io.berth.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.JsonArbitraries.Mutation;
import io.berth.events.payload.TaskStarted;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Whatever arrives on a topic, {@link EventCodec#decode} either returns an event whose payload maps to
 * its record and survives a round trip, or throws {@link InvalidEventException} whose errors name
 * the offending path and position. Nothing else may escape: a crash here would block a partition.
 * Failing seeds are printed and replayed first on the next run (see junit-platform.properties).
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

    @Property(tries = 1000)
    void arbitraryBytes_areDecodedOrRejected(@ForAll @Size(max = 300) byte[] bytes) {
        decodedOrRejected(bytes);
    }

    @Property(tries = 1000)
    void damagedEvents_areDecodedOrRejected(@ForAll("damagedEvents") byte[] bytes) {
        decodedOrRejected(bytes);
    }

    @Property(tries = 400)
    void anyJsonAsEvent_isDecodedOrRejected(@ForAll("jsonTrees") JsonNode event) {
        decodedOrRejected(Json.bytes(event));
    }

    @Property(tries = 600)
    void anyJsonAsPayloadOfAKnownType_isDecodedOrRejected(@ForAll("eventTypes") String type,
                                                          @ForAll("jsonTrees") JsonNode data) {
        ObjectNode event = (ObjectNode) tree(VALID.get(type));
        event.set("data", data);
        decodedOrRejected(Json.bytes(event));
    }

    @Property(tries = 1000)
    void oneFieldChanged_isDecodedOrRejectedAtThatField(@ForAll("mutatedEvents") MutatedEvent event) {
        InvalidEventException rejected = decodedOrRejected(event.bytes());

        if (rejected != null) {
            assertThat(rejected.errors()).as("errors about %s", event.mutation().jsonPath())
                    .anySatisfy(error -> assertThat(relatedToMutation(error.path(), event.mutation())).isTrue());
        }
    }

    @Example
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

    /** The event's bytes cut short or extended and up to four bytes overwritten with JSON punctuation. */
    @Provide
    Arbitrary<byte[]> damagedEvents() {
        return Arbitraries.of(VALID.values()).flatMap(valid -> {
            Arbitrary<Integer> length = Arbitraries.integers().between(1, 2 * valid.length);
            Arbitrary<Integer> at = Arbitraries.integers().between(0, 2 * valid.length - 1);
            Arbitrary<Character> noise = Arbitraries.of(NOISE.toCharArray());
            return length.flatMap(n -> at.list().ofMaxSize(4).flatMap(positions ->
                    noise.list().ofSize(positions.size()).map(chars -> {
                        byte[] damaged = Arrays.copyOf(valid, n);
                        for (int i = 0; i < positions.size(); i++) {
                            damaged[positions.get(i) % n] = (byte) chars.get(i).charValue();
                        }
                        return damaged;
                    })));
        });
    }

    @Provide
    Arbitrary<JsonNode> jsonTrees() {
        return JsonArbitraries.trees(4);
    }

    @Provide
    Arbitrary<String> eventTypes() {
        return Arbitraries.of(VALID.keySet());
    }

    @Provide
    Arbitrary<MutatedEvent> mutatedEvents() {
        return Arbitraries.of(VALID.keySet()).flatMap(type -> {
            JsonNode valid = tree(VALID.get(type));
            return JsonArbitraries.mutationsOf(valid, JsonArbitraries.replacements())
                    .map(mutation -> new MutatedEvent(type, mutation, Json.bytes(mutation.applyTo(valid))));
        });
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

    /** The error is about the changed node (or its container or content); subject and task id are checked together. */
    private static boolean relatedToMutation(String errorPath, Mutation mutation) {
        String mutated = mutation.jsonPath();
        boolean subjectOrTaskId = mutated.equals("$.subject") || mutated.equals("$.data.task_id");
        return JsonArbitraries.related(errorPath, mutated)
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
