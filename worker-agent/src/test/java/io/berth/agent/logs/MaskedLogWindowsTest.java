package io.berth.agent.logs;

import io.berth.agent.StateLayout;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks the log masking by windowing: every offset and every window size over a log holding a secret (also
 * across a rotation), tail windows, and a follower reading a secret while it is being written. No answer may hold
 * any 4 consecutive characters of the secret.
 */
class MaskedLogWindowsTest {
    private static final String SECRET = "correct-horse-battery-staple";
    private static final String TASK = "task-mask";

    @TempDir
    Path state;

    private ServiceLogs logs(long cap) throws IOException {
        Path file = StateLayout.of(state).log(TASK, 1, "db");
        Files.createDirectories(file.getParent());
        Files.createFile(file);
        return new ServiceLogs(state, new ServiceLogs.LogLimits(cap, 64 << 10, Duration.ofHours(1)));
    }

    private void append(String text) throws IOException {
        Files.writeString(StateLayout.of(state).log(TASK, 1, "db"), text, StandardOpenOption.APPEND);
    }

    private LogRead read(ServiceLogs logs, long offset, int max, int tail) {
        return logs.readMasked(TASK, 1, "db", offset, max, tail, Set.of(SECRET, "abc"));
    }

    private static void assertNoPieceOfTheSecret(String text, String what) {
        for (int i = 0; i + 4 <= SECRET.length(); i++) {
            assertThat(text).as(what).doesNotContain(SECRET.substring(i, i + 4));
        }
    }

    @Test
    void noOffsetOrWindowSize_revealsAPieceOfTheSecret() throws IOException {
        ServiceLogs logs = logs(10L << 20);
        append("starting with POSTGRES_PASSWORD=" + SECRET + " and more\nplain line\n" + SECRET + "\nend\n");
        long size = read(logs, 0, 0, 0).size();
        for (long offset = 0; offset <= size; offset++) {
            for (int max = 1; max <= size + 1; max++) {
                LogRead r = read(logs, offset, max, 0);
                assertNoPieceOfTheSecret(new String(r.data(), StandardCharsets.UTF_8), "offset " + offset + " max " + max);
                assertThat(r.offset()).isEqualTo(offset); // offsets are the log's, masking only changes the data
            }
        }
        String whole = new String(read(logs, 0, 0, 0).data(), StandardCharsets.UTF_8);
        assertThat(whole).isEqualTo("starting with POSTGRES_PASSWORD=****** and more\nplain line\n******\nend\n");
        // the attack: a window starting inside the secret
        assertThat(new String(read(logs, 33, 0, 0).data(), StandardCharsets.UTF_8)).startsWith("****** and more");
    }

    @Test
    void tailWindows_andRotatedLogs_revealNothing() throws IOException {
        ServiceLogs logs = logs(200);
        for (int i = 0; i < 12; i++) {
            append("line " + i + " pw=" + SECRET + "\n");
            logs.cap(List.of(TASK));
        }
        LogRead all = read(logs, 0, 0, 0);
        assertThat(all.skipped()).as("the cap rotated part of the log away").isPositive();
        for (int tail = 1; tail <= 12; tail++) {
            assertNoPieceOfTheSecret(new String(read(logs, 0, 0, tail).data(), StandardCharsets.UTF_8), "tail " + tail);
        }
        for (long offset = all.offset(); offset <= all.size(); offset++) {
            for (int max = 1; max <= 64; max += 7) {
                assertNoPieceOfTheSecret(new String(read(logs, offset, max, 0).data(), StandardCharsets.UTF_8),
                        "offset " + offset + " max " + max);
            }
        }
    }

    @Test
    void aFollowerReadingWhileTheSecretIsWritten_seesNoPieceOfIt() throws IOException {
        ServiceLogs logs = logs(10L << 20);
        List<String> chunks = new ArrayList<>();
        long offset = 0;
        String written = "password: " + SECRET + "\n";
        for (int i = 0; i < written.length(); i += 3) {
            append(written.substring(i, Math.min(written.length(), i + 3)));
            // a follower asks for whatever is new, one byte at a time as the service writes it
            LogRead r = read(logs, offset, 0, 0);
            chunks.add(new String(r.data(), StandardCharsets.UTF_8));
            offset = r.nextOffset();
        }
        LogRead rest = read(logs, offset, 0, 0);
        chunks.add(new String(rest.data(), StandardCharsets.UTF_8));
        for (String chunk : chunks) {
            assertNoPieceOfTheSecret(chunk, "chunk " + chunks.indexOf(chunk));
        }
        assertNoPieceOfTheSecret(String.join("", chunks), "the chunks together");
        assertThat(String.join("", chunks)).startsWith("password: ").contains("******").endsWith("\n");
    }
}
