package io.berth.agent.journal;

import io.berth.agent.TaskIds;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's record of what it started, one small JSON file per task under {@code <stateDir>/journal/},
 * replaced atomically on every change and deleted once the task is released. Blocking methods.
 */
public final class TaskJournal {
    private static final System.Logger LOG = System.getLogger(TaskJournal.class.getName());

    private final Path dir;

    public TaskJournal(Path stateDir) {
        this.dir = stateDir.resolve("journal");
    }

    /** The agent state directory this journal is in. */
    public Path stateDir() {
        return dir.getParent();
    }

    public void write(TaskRecord record) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
        Path file = file(record.taskId());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, record.toJson().encode(), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
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
                    records.add(TaskRecord.fromJson(new JsonObject(Files.readString(f))));
                } catch (RuntimeException | IOException e) {
                    LOG.log(Level.WARNING, "skipping unreadable journal file {0}: {1}", f, e.getMessage());
                }
            }
        }
        return records;
    }

    private Path file(String taskId) {
        return dir.resolve(TaskIds.shortHash(taskId) + ".json");
    }
}
