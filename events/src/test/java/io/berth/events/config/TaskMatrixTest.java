package io.berth.events.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.events.validation.ValidationError;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskMatrixTest {
    private static final String SOURCE = "pipeline.yml";

    @Test
    void proposalAcrossStep_oneRunPerVersion_imageInterpolated_threeAtOnce() {
        TaskMatrix matrix = TaskMatrix.parseYaml(Resources.text("proposal/across-step.yml"), SOURCE);

        assertTrue(matrix.isMatrix());
        assertEquals(3, matrix.maxInFlight());
        assertEquals(List.of("postgres_version=9", "postgres_version=10", "postgres_version=11", "postgres_version=12",
                "postgres_version=13"), matrix.combinations().stream().map(TaskMatrix.Combination::label).toList());
        assertEquals(List.of("postgres-9", "postgres-10", "postgres-11", "postgres-12", "postgres-13"),
                matrix.combinations().stream().map(c -> c.step().service("postgres").image()).toList());
        assertEquals("((.svc:postgres.address))", matrix.combinations().get(0).step().params().get("POSTGRES_ADDRESS"));
    }

    @Test
    void twoVars_makeTheirCartesianProduct_firstVarOutermost_withValuesKeepingTheirType() {
        TaskMatrix matrix = TaskMatrix.parseYaml("""
                across:
                - {var: version, values: [1, 2], max_in_flight: all}
                - {var: port, values: [7001, 7002], max_in_flight: 2, fail_fast: true}
                task: t
                params: {NAME: v((.:version))-p((.:port))}
                services:
                - name: web
                  file: ci/web-((.:version)).yml
                  params: {PORT: ((.:port))}
                - name: cache
                  image: cache:((.:version))
                  ports: [{number: ((.:port))}]
                """, SOURCE);

        assertEquals(List.of("version=1 port=7001", "version=1 port=7002", "version=2 port=7001", "version=2 port=7002"),
                matrix.combinations().stream().map(TaskMatrix.Combination::label).toList());
        assertEquals(4, matrix.maxInFlight());
        assertTrue(matrix.failFast());
        TaskStep last = matrix.combinations().get(3).step();
        assertEquals("v2-p7002", last.params().get("NAME"));
        assertEquals("ci/web-2.yml", last.service("web").file());
        assertEquals(7002, last.service("web").params().get("PORT"));
        assertEquals(7002, last.service("cache").config().ports().get(0).number());
    }

    @Test
    void stepWithoutAcross_isOneRun_andAnUnboundLocalVarIsLeftForTheVariableCheck() {
        TaskMatrix plain = TaskMatrix.parseYaml(
                "task: t\nservices:\n- {name: db, file: db.yml, image: 'pg-((.:v))'}\n", SOURCE);

        assertFalse(plain.isMatrix());
        assertEquals(1, plain.combinations().size());
        assertEquals(1, plain.maxInFlight());
        assertEquals("pg-((.:v))", plain.combinations().get(0).step().service("db").image());
    }

    @Test
    void badAcross_isReportedWithItsLocation() {
        var e = assertThrows(InvalidConfigException.class, () -> TaskMatrix.parseYaml("""
                across:
                - {var: v, values: ((versions))}
                - {var: w, values: [], max_in_flight: 0}
                - {var: x, values: [1], max_in_flight: 1}
                - {var: x, values: [2]}
                task: t
                """, SOURCE));

        assertEquals(List.of(
                "$.across[0].values (line 2, column 20): must list the values here; values from a var source are "
                        + "resolved by Concourse, not by berth",
                "$.across[1].max_in_flight (line 3, column 39): must be at least 1",
                "$.across[1].max_in_flight (line 3, column 39): must be \"all\"",
                "$.across[3].var (line 5, column 9): var 'x' is already bound by across"),
                e.errors().stream().map(ValidationError::toString).toList());
    }

    @Test
    void errorOfSomeCombinations_namesThem() {
        var e = assertThrows(InvalidConfigException.class, () -> TaskMatrix.parseYaml("""
                across:
                - {var: port, values: [80, 70000]}
                task: t
                services:
                - name: web
                  image: web
                  ports: [{number: ((.:port))}]
                """, SOURCE));

        assertEquals(List.of("$.services[0].ports[0].number (line 7, column 20): must be between 1 and 65535 "
                + "(with port=70000)"), e.errors().stream().map(ValidationError::toString).toList());
    }
}
