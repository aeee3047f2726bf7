package io.berth.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CappedLogTest {
    @TempDir
    Path dir;

    private Path log() throws IOException {
        Path log = dir.resolve("svc.log");
        Files.createFile(log);
        return log;
    }

    private static void append(Path log, String text) throws IOException {
        Files.writeString(log, text, StandardOpenOption.APPEND);
    }

    private static String text(LogRead read) {
        return new String(read.data(), StandardCharsets.UTF_8);
    }

    @Test
    void readsByOffset_endingAtALineEnd() throws IOException {
        Path log = log();
        append(log, "one\ntwo\nthr");
        CappedLog capped = new CappedLog(log);

        LogRead first = capped.read(0, 1000, 0);
        assertThat(text(first)).isEqualTo("one\ntwo\n");
        assertThat(first.size()).isEqualTo(11);

        LogRead rest = capped.read(first.nextOffset(), 1000, 0);
        assertThat(text(rest)).isEqualTo("thr"); // a partial last line comes once nothing else is left
        assertThat(rest.nextOffset()).isEqualTo(11);
        assertThat(capped.read(11, 1000, 0).data()).isEmpty();
    }

    @Test
    void tail_startsAtTheLastLines() throws IOException {
        Path log = log();
        append(log, "a\nb\nc\nd\n");
        assertThat(text(new CappedLog(log).read(0, 1000, 2))).isEqualTo("c\nd\n");
        assertThat(text(new CappedLog(log).read(0, 1000, 10))).isEqualTo("a\nb\nc\nd\n");
    }

    @Test
    void capRotates_keepsTheNewestBytes_andOffsetsStayValid_whileTheWriterKeepsAppending() throws IOException {
        Path log = log();
        try (FileOutputStream writer = new FileOutputStream(log.toFile(), true)) { // O_APPEND, like a service
            CappedLog capped = new CappedLog(log);
            for (int i = 0; i < 10; i++) {
                writer.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8)); // 7 bytes each
            }
            assertThat(capped.capAt(40)).isTrue(); // 70 > 20: keep the newest 20 bytes, from a line start
            assertThat(Files.size(log)).isZero();
            writer.write("line 10\n".getBytes(StandardCharsets.UTF_8));
            assertThat(Files.size(log)).as("the writer appends at the new end").isEqualTo(8);

            LogRead old = capped.read(0, 1000, 0);
            assertThat(old.skipped()).isEqualTo(56);
            assertThat(old.offset()).isEqualTo(56);
            assertThat(text(old)).isEqualTo("line 8\nline 9\n");
            LogRead next = capped.read(old.nextOffset(), 1000, 0);
            assertThat(text(next)).isEqualTo("line 10\n");
            assertThat(next.offset()).isEqualTo(70);
            assertThat(next.size()).isEqualTo(78);

            for (int i = 11; i < 20; i++) {
                writer.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
            assertThat(capped.capAt(40)).isTrue();
            LogRead fromStart = capped.read(0, 1000, 0);
            assertThat(fromStart.skipped()).isEqualTo(134);
            assertThat(text(fromStart)).isEqualTo("line 18\nline 19\n");
            assertThat(Files.size(log) + Files.size(log.resolveSibling("svc.log.1"))).isLessThanOrEqualTo(40);
            assertThat(text(capped.read(0, 1000, 1))).isEqualTo("line 19\n");
        }
    }

    @Test
    void missingLog_isNotFound() {
        assertThat(new CappedLog(dir.resolve("none.log")).read(0, 10, 0).found()).isFalse();
    }
}
