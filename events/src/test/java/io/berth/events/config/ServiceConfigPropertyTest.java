package io.berth.events.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.berth.events.JsonGenerators.Mutation;
import io.berth.events.JsonGenerators;
import io.berth.events.validation.ValidationError;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Whatever a service config file says, {@link ServiceConfigs#parseYaml} either returns a config that
 * keeps {@link ConfigInvariants} and round-trips through JSON, or throws {@link InvalidConfigException}
 * whose errors carry the offending path and its line and column. Nothing else may escape.
 *
 * <p>Each property draws from a new seed on every run; a failure reports the smallest falsifying value
 * it shrank to and the seed, which {@code -DQT_SEED=<seed>} replays (with {@code -Dtest=Class#method}).
 */
class ServiceConfigPropertyTest {
    static final String SOURCE = "ci/services/fuzzed.yml";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final YAMLMapper YAML = new YAMLMapper();
    /** A text node with this prefix is written into the YAML as it is, unquoted (YAML-only scalars). */
    private static final String RAW = "RAWYAML:";
    private static final Pattern RAW_SCALAR = Pattern.compile("['\"]?" + RAW + "([^'\"\\n]*)['\"]?");
    private static final String YAML_ALPHABET = " \n\t:-[]{},#&*!|>'\"%@`?.~$/\\0123456789abcdefnuly";

    /** Documents with one name in them ({@code NAME}): service entries, ports, prototypes, task steps. */
    private static final List<String> NAME_SLOTS = List.of(
            "name: NAME\nimage: redis\n",
            "name: db\nimage: redis\nports:\n- name: NAME\n  number: 6379\n",
            "name: db\ntype: NAME\n",
            "name: db\ntype: docker-compose\nrun: NAME\n",
            "name: NAME\nfile: ci/services/db.yml\n",
            "name: NAME\nconfig:\n  image: redis\n",
            "task: test\nservices:\n- name: db\n  file: db.yml\n- name: NAME\n  config: {image: redis}\n");

    @Test
    void validConfigs_parseKeepTheInvariantsAndRoundTrip() {
        qt().withExamples(200).forAll(validConfigs()).checkAssert(tree -> {
            ServiceConfig config = ServiceConfigs.parseYaml(yaml(tree), SOURCE);

            ConfigInvariants.check(config);
            assertThat(ServiceConfigs.fromJson(ServiceConfigs.toJson(config), SOURCE)).isEqualTo(config);
        });
    }

    @Test
    void oneFieldChanged_isAcceptedOrRejectedAtThatField() {
        qt().withExamples(600).forAll(mutatedConfigs()).checkAssert(mutated -> {
            ServiceConfig config;
            try {
                config = ServiceConfigs.parseYaml(mutated.yaml(), SOURCE);
            } catch (InvalidConfigException e) {
                assertNamesPathsAndPositions(e);
                assertThat(e.errors()).as("errors about %s", mutated.mutation().jsonPath())
                        .anySatisfy(error -> assertThat(aboutTheMutation(error, mutated.mutation())).isTrue());
                return;
            }
            ConfigInvariants.check(config);
            assertThat(ServiceConfigs.fromJson(ServiceConfigs.toJson(config), SOURCE)).isEqualTo(config);
        });
    }

    @Test
    void prototypeParams_keepNestedNulls() {
        String yaml = "type: docker-compose\nparams:\n  '':\n    task: null\n";

        ServiceConfig config = ServiceConfigs.parseYaml(yaml, SOURCE);

        assertThat(ServiceConfigs.fromJson(ServiceConfigs.toJson(config), SOURCE)).isEqualTo(config);
    }

    @Test
    void imageResourceSource_keepsNestedNulls() {
        String yaml = "image_resource:\n  type: registry-image\n  source:\n    auth:\n      token: null\n";

        ServiceConfig config = ServiceConfigs.parseYaml(yaml, SOURCE);

        assertThat(ServiceConfigs.fromJson(ServiceConfigs.toJson(config), SOURCE)).isEqualTo(config);
    }

    @Test
    void textEndingInsideAnEscape_isRejected() {
        assertThatThrownBy(() -> ServiceConfigs.parseYaml("image: \"redis\\u", SOURCE)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("$: invalid YAML: the text ends inside an escape sequence");
    }

    @Test
    void failureThresholdBeyondAnInt_isRejected() {
        String yaml = "type: docker-compose\nstartup_probe:\n  failure_threshold: 2147483648\n";

        assertThatThrownBy(() -> ServiceConfigs.parseYaml(yaml, SOURCE)).isInstanceOf(InvalidConfigException.class)
                .hasMessage(SOURCE + ": $.startup_probe.failure_threshold (line 3, column 22): must be between 1 and 10000");
    }

    @Test
    void memoryThatIsNoByteCount_isRejected() {
        String yaml = "image: redis\nresources:\n  memory: 80.0\n";

        assertThatThrownBy(() -> ServiceConfigs.parseYaml(yaml, SOURCE)).isInstanceOf(InvalidConfigException.class)
                .hasMessage(SOURCE + ": $.resources.memory (line 3, column 11): memory '80.0' is not a size like 512m, 1g or 1073741824");
        assertThatThrownBy(() -> ServiceConfigs.parseYaml(yaml.replace("80.0", "99999999999999999999g"), SOURCE))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("$.resources.memory (line 3, column 11)");
    }

    @Test
    void notANumber_isRejectedWithItsPosition() {
        String yaml = "image: redis\nresources:\n  memory: .nan\n";

        assertThatThrownBy(() -> ServiceConfigs.parseYaml(yaml, SOURCE)).isInstanceOf(InvalidConfigException.class)
                .hasMessage(SOURCE + ": $.resources.memory (line 3, column 11): must be a finite number, is .nan");
    }

    @Test
    void prototypeNamesThatLeaveTheirDirectory_areRejected() {
        assertThatThrownBy(() -> ServiceConfigs.parseYaml("type: ..\n", SOURCE)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith(SOURCE + ": $.type (line 1, column 7): '..' is not a prototype name");
    }

    @Test
    void nameWithATrailingLineBreak_isRejected() {
        assertThatThrownBy(() -> ServiceConfigs.parseRequestYaml("name: \"db\\n\"\nimage: redis\n", SOURCE))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith(SOURCE + ": $.name (line 1, column 7): does not match the regex pattern");
    }

    @Test
    void aliasesExpandingToMillionsOfValues_areRejected() {
        StringBuilder yaml = new StringBuilder("image: redis\nparams:\n  L0: &L0 [x, x]\n");
        for (int level = 1; level < 24; level++) {
            yaml.append("  L").append(level).append(": &L").append(level)
                    .append(" [*L").append(level - 1).append(", *L").append(level - 1).append("]\n");
        }

        assertThatThrownBy(() -> ServiceConfigs.parseYaml(yaml.toString(), SOURCE)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("too many values (more than 100000 with aliases expanded)");
    }

    @Test
    void anyText_isParsedOrRejected() {
        qt().withExamples(800).forAll(yamlishText()).checkAssert(text -> {
            try {
                ConfigInvariants.check(ServiceConfigs.parseYaml(text, SOURCE));
            } catch (InvalidConfigException e) {
                assertThat(e.errors()).isNotEmpty().allSatisfy(error -> assertThat(error.path()).startsWith("$"));
            }
            try {
                TaskStep.parseYaml(text, SOURCE).services().forEach(s -> assertThat(s.name()).matches(ConfigInvariants.SAFE_NAME));
            } catch (InvalidConfigException e) {
                assertThat(e.errors()).isNotEmpty();
            }
        });
    }

    /** Every hostile name in every slot: a table small enough (27 × 7) to check whole. */
    @ParameterizedTest(name = "{0} in {1}")
    @MethodSource("hostileNamesInEverySlot")
    void hostileNames_areRejectedWhereverANameGoes(String name, String slot) {
        String quoted = NODES.textNode(name).toString(); // a JSON string is a YAML double-quoted scalar
        String yaml = slot.replace("NAME", quoted);

        assertThatThrownBy(() -> parseAny(yaml)).isInstanceOfSatisfying(InvalidConfigException.class, e -> {
            assertNamesPathsAndPositions(e);
            assertThat(e.errors()).anySatisfy(error -> assertThat(error.line()).isEqualTo(lineOf(yaml, "NAME", slot)));
        });
    }

    private static Object parseAny(String yaml) {
        return yaml.startsWith("task:") ? TaskStep.parseYaml(yaml, SOURCE) : ServiceConfigs.parseRequestYaml(yaml, SOURCE);
    }

    /** Every error names a path and a position, and the message prefixes it with the source name. */
    private static void assertNamesPathsAndPositions(InvalidConfigException e) {
        assertThat(e.errors()).isNotEmpty().allSatisfy(error -> {
            assertThat(error.path()).startsWith("$");
            assertThat(error.line()).as("line of %s", error).isNotNull().isPositive();
            assertThat(error.column()).as("column of %s", error).isNotNull().isPositive();
            assertThat(error.message()).doesNotContain("Exception");
            assertThat(e.getMessage()).contains(SOURCE + ": " + error);
        });
    }

    /**
     * The error is about the changed node, its content, or its container; an error further up must
     * name the changed field (e.g. "nothing to run: set run.path …" when run.path went away).
     */
    private static boolean aboutTheMutation(ValidationError error, Mutation mutation) {
        if (error.message().startsWith("invalid YAML")) {
            return true; // a YAML-only scalar such as an undefined alias: a syntax error, positioned
        }
        String mutated = mutation.jsonPath();
        if (mutated.equals("$.type") && (error.path().startsWith("$.params") || error.path().startsWith("$.run"))) {
            return true; // the prototype decides what params and run may hold
        }
        if (!JsonGenerators.related(error.path(), mutated)) {
            return false;
        }
        int levelsUp = depth(mutated) - depth(error.path());
        return levelsUp <= 1 || mutation.lastName() != null && error.message().contains(mutation.lastName());
    }

    private static int depth(String path) {
        return (int) path.chars().filter(c -> c == '.' || c == '[').count();
    }

    private static int lineOf(String yaml, String placeholder, String slot) {
        String before = slot.substring(0, slot.indexOf(placeholder));
        return (int) before.chars().filter(c -> c == '\n').count() + 1;
    }

    /** Valid configs of every kind (process, image, image_resource, prototype), with and without the optional parts. */
    private static Gen<ObjectNode> validConfigs() {
        Gen<String> kind = Generate.pick(List.of("process", "image", "image_resource", "prototype"));
        Gen<String> names = strings().betweenCodePoints('a', 'z').ofLengthBetween(1, 8);
        Gen<List<Integer>> portNumbers = lists().of(integers().between(1, 65535)).ofSizeBetween(0, 3)
                .map(numbers -> numbers.stream().distinct().toList());
        Gen<ObjectNode> probe = integers().between(1, 100).zip(tenths(1, 600), booleans().all(), (threshold, period, withRun) -> {
            ObjectNode node = NODES.objectNode().put("failure_threshold", threshold).put("period_seconds", period);
            if (withRun) {
                node.putObject("run").put("path", "pg_isready").putArray("args").add("-h").add("127.0.0.1");
            }
            return node;
        });
        Gen<Pair<Double, Boolean>> graceAndInputs = JsonGenerators.orNull(30, tenths(0, 1200)).zip(booleans().all(), Pair::of);
        return kind.zip(names, portNumbers, JsonGenerators.orNull(30, probe), graceAndInputs,
                (k, name, ports, startupProbe, rest) -> {
                    Double graceSeconds = rest._1;
                    boolean withInputs = rest._2;
                    ObjectNode config = NODES.objectNode().put("name", name);
                    switch (k) {
                        case "process" -> config.putObject("run").put("path", "redis-server")
                                .put("dir", ".").putArray("args").add("--port").add(6379);
                        case "image" -> config.put("image", "redis:7").putObject("resources")
                                .put("memory", "512m").put("cpus", 0.5);
                        case "image_resource" -> config.putObject("image_resource").put("type", "registry-image")
                                .putObject("source").put("repository", "postgres");
                        default -> config.put("type", "docker-compose").put("run", "up");
                    }
                    if (k.equals("prototype")) {
                        config.putObject("params").putArray("files").add("docker-compose.yml");
                    } else {
                        config.putObject("params").put("PGDATA", "/data").put("REPLICAS", 2);
                    }
                    ArrayNode portList = config.putArray("ports");
                    for (int i = 0; i < ports.size(); i++) {
                        ObjectNode port = portList.addObject().put("number", ports.get(i));
                        if (i > 0) {
                            port.put("name", "p" + i);
                        }
                    }
                    if (withInputs) {
                        config.putArray("inputs").add("seed-sql").addObject().put("name", "ci").put("path", "src/ci");
                    }
                    if (startupProbe != null) {
                        config.set("startup_probe", startupProbe);
                    }
                    if (graceSeconds != null) {
                        config.put("termination_grace_seconds", graceSeconds);
                    }
                    return config;
                });
    }

    /** Numbers with one decimal place, {@code from / 10} to {@code to / 10}. */
    private static Gen<Double> tenths(int from, int to) {
        return integers().between(from, to).map(tenths -> tenths / 10.0);
    }

    /** A valid config with one node removed or replaced (YAML-only scalars among the replacements). */
    private static Gen<MutatedConfig> mutatedConfigs() {
        Gen<JsonNode> yamlOnly = Generate.pick(List.of(".nan", ".inf", "-.inf", "0x50", "0o120", "0120", "1_000", "80.0",
                        "1e3", "~", "!!int 'abc'", "!!float '1e400'", "!!binary aGVsbG8=", "*undefined", "!custom x",
                        "2001-12-14", "1:30", "yes", "off", "0b1010", "99999999999999999999999g"))
                .map(raw -> NODES.textNode(RAW + raw));
        Gen<JsonNode> replacements = Generate.frequency(
                JsonGenerators.weighted(4, JsonGenerators.replacements()), JsonGenerators.weighted(1, yamlOnly));
        return validConfigs().flatMap(valid -> JsonGenerators.mutationsOf(valid, replacements)
                .map(mutation -> new MutatedConfig(mutation, yaml(mutation.applyTo(valid)))));
    }

    /** A valid config with one node removed or replaced, written as YAML. */
    record MutatedConfig(Mutation mutation, String yaml) {
        @Override
        public String toString() {
            return mutation + "\n" + (yaml.length() > 2000 ? yaml.substring(0, 2000) + "…" : yaml);
        }
    }

    /** Up to 120 characters of YAML syntax, digits and the letters of null, true, false, yes, inf. */
    private static Gen<String> yamlishText() {
        Gen<Character> chars = Generate.pick(YAML_ALPHABET.chars().mapToObj(c -> (char) c).toList());
        return lists().of(chars).ofSizeBetween(0, 120)
                .map(list -> list.stream().map(String::valueOf).collect(Collectors.joining()));
    }

    /** Each hostile name (shown escaped) with each slot (shown by number). */
    static Stream<Arguments> hostileNamesInEverySlot() {
        return JsonGenerators.HOSTILE_NAMES.stream().flatMap(name -> IntStream.range(0, NAME_SLOTS.size())
                .mapToObj(slot -> Arguments.of(Named.of(escaped(name), name), Named.of("slot " + slot, NAME_SLOTS.get(slot)))));
    }

    private static String escaped(String name) {
        StringBuilder shown = new StringBuilder("\"");
        name.chars().forEach(c -> shown.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return shown.append('"').toString();
    }

    static String yaml(JsonNode tree) {
        try {
            Matcher raw = RAW_SCALAR.matcher(YAML.writeValueAsString(tree));
            return raw.replaceAll(m -> Matcher.quoteReplacement(m.group(1)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

}
