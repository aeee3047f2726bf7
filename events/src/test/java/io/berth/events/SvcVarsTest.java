package io.berth.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.berth.events.payload.SvcVariables;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SvcVarsTest {
    private static final Map<String, SvcVariables> SERVICES = Map.of(
            "postgres", SvcVariables.of("127.0.0.1", Map.of("default", 5432, "metrics", 9187)),
            "concourse", SvcVariables.of("10.80.0.3", Map.of("web", 8080)),
            "multi", SvcVariables.of("::1", Map.of("a", 1, "b", 2)));

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            ((.svc:postgres.address))                    | 127.0.0.1:5432
            ((.svc:postgres.host))                       | 127.0.0.1
            ((.svc:postgres.port))                       | 5432
            ((.svc:postgres.addresses.metrics))          | 127.0.0.1:9187
            ((.svc:postgres.ports.metrics))              | 9187
            ((.svc:postgres.addresses.default))          | 127.0.0.1:5432
            ((.svc:concourse.address))                   | 10.80.0.3:8080
            ((.svc:multi.addresses.b))                   | [::1]:2
            ((  .svc:postgres.port  ))                   | 5432
            postgres://u@((.svc:postgres.address))/db    | postgres://u@127.0.0.1:5432/db
            ((.svc:postgres.host)):((.svc:postgres.port)) | 127.0.0.1:5432
            ((password)) ((.:version)) ((vault:x.y))     | ((password)) ((.:version)) ((vault:x.y))
            no variables                                 | no variables
            """)
    void interpolate_resolvesSvcVariablesOnly(String text, String expected) {
        assertEquals(expected, SvcVars.interpolate(text, SERVICES));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            ((.svc:redis.address))           | ((.svc:redis.address)): no service 'redis' (the task has services: concourse, multi, postgres)
            ((.svc:postgres.adress))         | ((.svc:postgres.adress)): unknown field 'adress' (known: address, host, port, addresses.PORT, ports.PORT)
            ((.svc:postgres.ports.web))      | ((.svc:postgres.ports.web)): service 'postgres' has no port 'web' (ports: default, metrics)
            ((.svc:multi.address))           | ((.svc:multi.address)): service 'multi' has no port named 'default' nor a single port; use addresses.PORT or ports.PORT
            ((.svc:postgres))                | ((.svc:postgres)): expected ((.svc:SERVICE.FIELD)) with FIELD one of address, host, port, addresses.PORT, ports.PORT
            """)
    void interpolate_namesTheVariableThatDoesNotResolve(String text, String message) {
        var e = assertThrows(IllegalArgumentException.class, () -> SvcVars.interpolate(text, SERVICES));
        assertEquals(message, e.getMessage());
    }

    @Test
    void interpolate_reportsEveryBadVariableOfEveryParam() {
        var e = assertThrows(IllegalArgumentException.class, () -> SvcVars.interpolate(
                Map.of("A", "((.svc:x.host))", "B", "((.svc:postgres.address))"), SERVICES));
        assertEquals("A: ((.svc:x.host)): no service 'x' (the task has services: concourse, multi, postgres)",
                e.getMessage());
        assertEquals(Map.of("B", "127.0.0.1:5432"),
                SvcVars.interpolate(Map.of("B", "((.svc:postgres.address))"), SERVICES));
    }

    @Test
    void references_listsSvcVariablesOnceInOrder() {
        String text = "((.svc:redis.address)) ((.svc:postgres.port)) ((.svc:redis.address)) ((other))";

        assertEquals(List.of(".svc:redis.address", ".svc:postgres.port"), SvcVars.references(text));
        assertEquals(Set.of("redis", "postgres"), SvcVars.referencedServices(text));
    }

    @Test
    void svcVariablesOf_usesTheDefaultOrOnlyPort() {
        SvcVariables only = SvcVariables.of("127.0.0.1", Map.of("web", 8080));
        assertEquals("127.0.0.1:8080", only.address());
        assertEquals(8080, only.port());
        assertEquals(Map.of("web", "127.0.0.1:8080"), only.addresses());

        SvcVariables several = SvcVariables.of("127.0.0.1", Map.of("web", 8080, "api", 9090));
        assertNull(several.address());
        assertNull(several.port());
        assertEquals(Map.of("web", 8080, "api", 9090), several.ports());

        SvcVariables none = SvcVariables.of("127.0.0.1", Map.of());
        assertNull(none.address());
        assertEquals("127.0.0.1", none.host());
    }
}
