package io.berth.agent.journal;

import io.berth.agent.StateLayout;
import io.berth.agent.os.TaskIds;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's record of what it started, one small file per task under {@code <stateDir>/journal/}, deleted once the
 * task is released. Each change appends the task's whole record as one JSON line and the last complete line is the
 * record: an append is one {@code write}, which a crash of the agent cannot tear, and unlike replacing the file by a
 * rename it makes the file system flush nothing. Blocking methods.
 */
public final class TaskJournal {
    private static final System.Logger LOG = System.getLogger(TaskJournal.class.getName());

    private final Path dir;

    public TaskJournal(Path stateDir) {
        this.dir = StateLayout.of(stateDir).journal();
    }

    /** The agent state directory this journal is in. */
    public Path stateDir() {
        return dir.getParent();
    }

    public void write(TaskRecord record) throws IOException {
        byte[] line = (record.toJson().encode() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            append(record.taskId(), line);
        } catch (NoSuchFileException noJournalYet) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            append(record.taskId(), line);
        }
    }

    private void append(String taskId, byte[] line) throws IOException {
        Files.write(file(taskId), line, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    public void remove(String taskId) throws IOException {
        Files.deleteIfExists(file(taskId));
    }

    /** Every task still journalled (unreadable files are skipped with a warning). */
    public List<TaskRecord> readAll() throws IOException {
        List<TaskRecord> records = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return records;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                try {
                    records.add(latest(Files.readAllLines(f, StandardCharsets.UTF_8)));
                } catch (RuntimeException | IOException e) {
                    LOG.log(Level.WARNING, "skipping unreadable journal file {0}: {1}", f, e.getMessage());
                }
            }
        }
        return records;
    }

    /** The last line that is a whole record (a line cut short by a power loss is skipped). */
    private static TaskRecord latest(List<String> lines) {
        RuntimeException last = new IllegalArgumentException("empty");
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            try {
                return TaskRecord.fromJson(new JsonObject(lines.get(i)));
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw last;
    }

    private Path file(String taskId) {
        return dir.resolve(TaskIds.shortHash(taskId) + ".json");
    }
}
