package io.berth.agent.runtime;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ServiceEnvironmentTest {

    @Test
    void cleanEnvironment_withParamsStringified_andBerthVariablesLast() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("PGDATA", "/data");
        params.put("PORT", 5432);
        params.put("RATIO", 1.5);
        params.put("DEBUG", true);
        params.put("FILES", List.of("a", "b"));
        params.put("BERTH_TASK_ID", "spoofed");

        Map<String, String> env = ServiceEnvironment.build("t1", "pg", Path.of("/s/pg"), "postgres", params);

        assertEquals(Map.ofEntries(Map.entry("PATH", "/usr/local/bin:/usr/bin:/bin"), Map.entry("HOME", "/s/pg"),
                Map.entry("USER", "postgres"), Map.entry("LOGNAME", "postgres"), Map.entry("PGDATA", "/data"),
                Map.entry("PORT", "5432"), Map.entry("RATIO", "1.5"), Map.entry("DEBUG", "true"),
                Map.entry("FILES", "[\"a\",\"b\"]"), Map.entry("BERTH_SERVICE_DIR", "/s/pg"),
                Map.entry("BERTH_TASK_ID", "t1"), Map.entry("BERTH_SERVICE_NAME", "pg")), env);
    }

    @Test
    void paramsMayOverridePath() {
        assertEquals("/opt/bin", ServiceEnvironment.build("t", "s", Path.of("/d"), null, Map.of("PATH", "/opt/bin"))
                .get("PATH"));
    }

    @Test
    void invalidVariableNames_areRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> ServiceEnvironment.build("t", "s", Path.of("/d"), null, Map.of("A=B", "x")));
    }
}
