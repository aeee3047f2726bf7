package io.berth.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.json.Json;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the agent would refuse, or what no task needs, refused at the orchestrator's door already (issue 15, items 2
 * and 6): each case changes one field of a valid {@code task.started} and must be rejected naming that field.
 */
class DoorLimitsTest {
    private final EventCodec codec = new EventCodec("ci://door");

    private ObjectNode valid() {
        ObjectNode data = Json.MAPPER.createObjectNode().put("task_id", "t1");
        ObjectNode service = data.putArray("services").addObject().put("name", "db");
        ObjectNode config = service.putObject("config");
        config.putObject("run").put("path", "/bin/true").putArray("args").add("-x");
        config.putObject("params").put("MODE", "test");
        config.putArray("ports").addObject().put("number", 5432);
        config.put("termination_grace_seconds", 10);
        config.putObject("startup_probe").put("period_seconds", 1).put("failure_threshold", 3);
        return data;
    }

    private static ObjectNode config(ObjectNode data) {
        return (ObjectNode) data.path("services").get(0).path("config");
    }

    static Stream<Arguments> attacks() {
        return Stream.of(
                attack("param name with '='", d -> config(d).with("params").put("A=B", "x"),
                        "$.data.services[0].config.params"),
                attack("param name with NUL", d -> config(d).with("params").put("A\u0000B", "x"),
                        "$.data.services[0].config.params"),
                attack("NUL in a param value", d -> config(d).with("params").put("MODE", "a\u0000b"),
                        "$.data.services[0].config.params.MODE"),
                attack("NUL in an arg", d -> ((ArrayNode) config(d).with("run").withArray("args")).add("a\u0000b"),
                        "$.data.services[0].config.run.args[1]"),
                attack("task-level param name with '='", d -> ((ObjectNode) d.path("services").get(0))
                        .putObject("params").put("X=Y", "1"), "$.data.services[0].params"),
                attack("termination grace 1e308", d -> config(d).put("termination_grace_seconds", 1e308),
                        "$.data.services[0].config.termination_grace_seconds"),
                attack("probe period 1e308", d -> config(d).with("startup_probe").put("period_seconds", 1e308),
                        "$.data.services[0].config.startup_probe.period_seconds"),
                attack("probe threshold 2^31", d -> config(d).with("startup_probe").put("failure_threshold", 1L << 31),
                        "$.data.services[0].config.startup_probe.failure_threshold"),
                attack("33 services", d -> {
                    ArrayNode services = d.withArray("services");
                    for (int i = 1; i < 33; i++) {
                        services.addObject().put("name", "s" + i).put("file", "s.yml");
                    }
                }, "$.data.services"),
                attack("a 64-character service name", d -> ((ObjectNode) d.path("services").get(0))
                        .put("name", "n".repeat(64)), "$.data.services[0].name"),
                attack("129 params", d -> {
                    for (int i = 0; i < 129; i++) {
                        config(d).with("params").put("P" + i, "v");
                    }
                }, "$.data.services[0].config.params"),
                attack("a 16 KiB + 1 param value", d -> config(d).with("params").put("MODE", "v".repeat(16385)),
                        "$.data.services[0].config.params.MODE"),
                attack("257 args", d -> {
                    for (int i = 0; i < 257; i++) {
                        ((ArrayNode) config(d).with("run").withArray("args")).add("a");
                    }
                }, "$.data.services[0].config.run.args"),
                attack("65 task inputs", d -> {
                    for (int i = 0; i < 65; i++) {
                        d.with("inputs").put("in" + i, "/srv/in" + i);
                    }
                }, "$.data.inputs"));
    }

    private static Arguments attack(String why, Consumer<ObjectNode> change, String path) {
        return Arguments.of(why, change, path);
    }

    private static byte[] event(ObjectNode data) {
        ObjectNode event = Json.MAPPER.createObjectNode().put("specversion", "1.0").put("id", "1")
                .put("source", "ci://door").put("type", EventTypes.TASK_STARTED).put("subject", "t1");
        event.set("data", data);
        return Json.bytes(event);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void refusedAtTheDoor_namingTheField(String why, Consumer<ObjectNode> change, String path) {
        ObjectNode data = valid();
        codec.decode(event(data)); // valid as it is
        change.accept(data);
        byte[] event = event(data);
        var e = assertThrows(InvalidEventException.class, () -> codec.decode(event));
        assertThat(e.errors()).as(why).anySatisfy(error -> assertThat(error.path()).startsWith(path));
    }
}
