package io.berth.agent.logs;

import io.berth.agent.StateLayout;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One service's combined stdout and stderr, in a file the service writes directly (no copying
 * thread). Readable while the service runs and after it is gone; it outlives the service's scratch
 * directory.
 */
public final class ServiceLog {
    /** Lines longer than this are cut in a tail (a binary blob must not flood an event). */
    static final int MAX_LINE = 2000;
    private static final int BLOCK = 8192;
    /** A tail never reads more than this from the end of the file. */
    private static final int MAX_SCAN = 1 << 20;

    private final Path path;

    public ServiceLog(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /**
     * Creates the log of a service in the agent's state directory {@code layout}; the logs directory is kept the
     * agent's alone, since logs may hold what services print about their secrets. Blocking.
     */
    public static ServiceLog create(StateLayout layout, String taskId, long generation, String service)
            throws IOException {
        ServiceLog log = new ServiceLog(layout.log(taskId, generation, service)).create();
        Files.setPosixFilePermissions(layout.logs(), PosixFilePermissions.fromString("rwx------"));
        return log;
    }

    /** Creates the file (and its directory), readable by the agent only. Blocking. */
    public ServiceLog create() throws IOException {
        try {
            Files.createFile(path);
        } catch (FileAlreadyExistsException kept) {
            // a restarted service's: appended to
        } catch (NoSuchFileException noDirectoryYet) { // the task's first service
            Files.createDirectories(path.getParent());
            Files.createFile(path);
        }
        return this;
    }

    /** The last {@code n} lines (fewer if the log is shorter; empty if it does not exist). Blocking. */
    public List<String> tail(int n) {
        if (n <= 0 || !Files.exists(path)) {
            return List.of();
        }
        try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "r")) {
            long end = f.length();
            long pos = end;
            int newlines = 0;
            // drop one trailing newline: "a\nb\n" has two lines, not three
            if (end > 0) {
                f.seek(end - 1);
                if (f.read() == '\n') {
                    end--;
                    pos--;
                }
            }
            byte[] buf = new byte[BLOCK];
            long start = 0;
            scan:
            while (pos > 0 && end - pos < MAX_SCAN) {
                int len = (int) Math.min(BLOCK, pos);
                pos -= len;
                f.seek(pos);
                f.readFully(buf, 0, len);
                for (int i = len - 1; i >= 0; i--) {
                    if (buf[i] == '\n' && ++newlines == n) {
                        start = pos + i + 1;
                        break scan;
                    }
                }
                start = pos;
            }
            byte[] bytes = new byte[(int) (end - start)];
            f.seek(start);
            f.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (text.isEmpty()) {
                return List.of();
            }
            List<String> lines = new ArrayList<>();
            for (String line : text.split("\n", -1)) {
                lines.add(line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "…" : line);
            }
            return Collections.unmodifiableList(lines.size() > n ? lines.subList(lines.size() - n, lines.size()) : lines);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
