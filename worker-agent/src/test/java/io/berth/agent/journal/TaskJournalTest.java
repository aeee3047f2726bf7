package io.berth.agent.journal;

import io.berth.agent.journal.TaskRecord.ServiceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TaskJournalTest {
    @TempDir
    Path stateDir;

    @Test
    void theLastRecordOfATaskIsWhatIsRead() throws Exception {
        TaskJournal journal = new TaskJournal(stateDir);
        TaskRecord started = new TaskRecord("task-1", 1, "berth-x", List.of());
        journal.write(started);
        Object fileKey = onlyFileKey();
        TaskRecord withService = started.withService(new ServiceRecord("db", 4242, 99, false));
        journal.write(withService);
        journal.write(withService.withReady("db"));
        // the same file, appended to: replacing it by a rename (a new inode) made ext4 flush on every change
        assertThat(onlyFileKey()).isEqualTo(fileKey);
        journal.write(new TaskRecord("task-2", 3, null, List.of()));

        assertThat(journal.readAll()).hasSize(2).anySatisfy(r -> {
            assertThat(r.taskId()).isEqualTo("task-1");
            assertThat(r.services()).singleElement().satisfies(s -> {
                assertThat(s.pid()).isEqualTo(4242);
                assertThat(s.ready()).isTrue();
            });
        });
    }

    private Object onlyFileKey() throws Exception {
        try (var files = Files.list(stateDir.resolve("journal"))) {
            Path file = files.collect(java.util.stream.Collectors.toList()).stream().reduce((a, b) -> {
                throw new AssertionError("more than one journal file: " + a + ", " + b);
            }).orElseThrow();
            return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        }
    }

    @Test
    void aLineCutShortIsSkippedForTheWholeOneBeforeIt() throws Exception {
        TaskJournal journal = new TaskJournal(stateDir);
        journal.write(new TaskRecord("task-1", 1, "berth-x", List.of(new ServiceRecord("db", 7, 8, true))));
        try (var files = Files.list(stateDir.resolve("journal"))) {
            Path file = files.findFirst().orElseThrow();
            Files.write(file, "{\"taskId\":\"task-1\",\"gen".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        }

        assertThat(journal.readAll()).singleElement().satisfies(r -> assertThat(r.services().get(0).pid()).isEqualTo(7));
    }

    @Test
    void aRemovedTaskIsGone() throws Exception {
        TaskJournal journal = new TaskJournal(stateDir);
        journal.write(new TaskRecord("task-1", 1, null, List.of()));
        journal.remove("task-1");
        assertThat(journal.readAll()).isEmpty();
    }
}
