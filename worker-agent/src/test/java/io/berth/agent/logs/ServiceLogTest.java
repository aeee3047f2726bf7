package io.berth.agent.logs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceLogTest {
    @TempDir
    Path dir;

    ServiceLog log(String content) throws Exception {
        Path p = dir.resolve("svc.log");
        Files.writeString(p, content);
        return new ServiceLog(p);
    }

    @Test
    void tail_returnsTheLastLines() throws Exception {
        assertEquals(List.of("b", "c"), log("a\nb\nc\n").tail(2));
        assertEquals(List.of("a", "b", "c"), log("a\nb\nc").tail(10));
        assertEquals(List.of("c"), log("a\nb\nc").tail(1));
        assertEquals(List.of(), log("").tail(5));
        assertEquals(List.of("", "x"), log("\n\nx\n").tail(2));
    }

    @Test
    void tail_ofAMissingLog_isEmpty() {
        assertEquals(List.of(), new ServiceLog(dir.resolve("none.log")).tail(5));
    }

    @Test
    void tail_spansReadBlocks_andCutsHugeLines() throws Exception {
        String many = IntStream.range(0, 20_000).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"));
        assertEquals(List.of("line 19997", "line 19998", "line 19999"), log(many + "\n").tail(3));
        List<String> huge = log("x".repeat(50_000) + "\nend").tail(2);
        assertTrue(huge.get(0).length() <= ServiceLog.MAX_LINE + 1);
        assertEquals("end", huge.get(1));
    }

    @Test
    void create_makesTheFileAndItsDirectory() throws Exception {
        ServiceLog log = new ServiceLog(dir.resolve("a/b/svc.log")).create();
        assertTrue(Files.exists(log.path()));
        assertEquals(List.of(), log.tail(3));
    }
}
