package io.berth.agent.logs;

import io.berth.agent.StateLayout;
import io.berth.agent.os.TaskIds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Every service log of this agent ({@code STATE/logs/TASKHASH/gGENERATION/SERVICE.log}): reads them by offset,
 * keeps each under its size cap, and forgets logs of tasks untouched for longer than the retention. Blocking;
 * thread-safe (one lock: reads and rotations are short and rare).
 */
public final class ServiceLogs {
    private final Path stateDir;
    private final LogLimits limits;

    public ServiceLogs(Path stateDir, LogLimits limits) {
        this.stateDir = stateDir;
        this.limits = limits;
    }

    public LogLimits limits() {
        return limits;
    }

    /** Reads one service's log (see {@link CappedLog#read}); at most {@link LogLimits#maxChunkBytes()}. */
    public synchronized LogRead read(String taskId, long generation, String service, long offset,
                                             int maxBytes, int tailLines) {
        Path file = StateLayout.of(stateDir).log(taskId, generation, service);
        int max = maxBytes <= 0 ? limits.maxChunkBytes() : Math.min(maxBytes, limits.maxChunkBytes());
        return new CappedLog(file).read(offset, max, tailLines);
    }

    /**
     * Reads one service's log like {@link #read}, with {@code secrets} masked wherever the window starts or ends
     * ({@link MaskedWindow}): offsets stay those of the log, only the data is masked.
     */
    public synchronized LogRead readMasked(String taskId, long generation, String service, long offset,
                                           int maxBytes, int tailLines, Collection<String> secrets) {
        LogRead window = read(taskId, generation, service, offset, maxBytes, tailLines);
        MaskedWindow masker = new MaskedWindow(secrets);
        if (masker.isEmpty() || !window.found() || window.data().length == 0) {
            return window;
        }
        CappedLog log = new CappedLog(StateLayout.of(stateDir).log(taskId, generation, service));
        int margin = masker.margin();
        byte[] before = contiguous(log, Math.max(0, window.offset() - margin), window.offset(), true);
        byte[] after = contiguous(log, window.nextOffset(), window.nextOffset() + margin, false);
        boolean atLogEnd = window.nextOffset() + after.length >= window.size();
        byte[] masked = masker.mask(before, window.data(), after, atLogEnd);
        return new LogRead(true, masked, window.offset(), window.nextOffset(), window.skipped(), window.size());
    }

    /**
     * The bytes of {@code [from, to)} that are contiguous with {@code to} ({@code endingAtTo}) or with {@code from}:
     * one read stops where the previous part of a rotated log ends, and bytes lost at a rotation break the run.
     */
    private static byte[] contiguous(CappedLog log, long from, long to, boolean endingAtTo) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long at = from;
        while (at < to) {
            LogRead r = log.readRaw(at, (int) (to - at));
            if (r.skipped() > 0) {
                if (!endingAtTo) {
                    break;
                }
                out.reset();
            }
            int length = (int) Math.min(r.data().length, to - r.offset()); // a skip moved the read forward
            if (length <= 0) {
                break;
            }
            out.write(r.data(), 0, length);
            at = r.offset() + length;
        }
        return out.toByteArray();
    }

    /** Applies the size cap to the logs of these (active) tasks; returns how many logs were rotated. */
    public synchronized int cap(Collection<String> taskIds) {
        int rotated = 0;
        for (String taskId : taskIds) {
            Path dir = StateLayout.of(stateDir).taskLogs(taskId);
            for (Path log : logsUnder(dir)) {
                if (new CappedLog(log).capAt(limits.maxBytesPerService())) {
                    rotated++;
                }
            }
        }
        return rotated;
    }

    /** Deletes the log directories of tasks not in {@code active} whose files are all older than the retention. */
    public synchronized int expire(Collection<String> activeTaskIds) {
        Path root = StateLayout.of(stateDir).logs();
        if (!Files.isDirectory(root)) {
            return 0;
        }
        var active = activeTaskIds.stream().map(TaskIds::shortHash).collect(java.util.stream.Collectors.toSet());
        long cutoff = System.currentTimeMillis() - limits.retention().toMillis();
        int removed = 0;
        try (Stream<Path> tasks = Files.list(root)) {
            for (Path dir : tasks.toList()) {
                if (active.contains(dir.getFileName().toString()) || newestModification(dir) >= cutoff) {
                    continue;
                }
                deleteTree(dir);
                removed++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return removed;
    }

    private static List<Path> logsUnder(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir, 2)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log") && Files.isRegularFile(p)).toList();
        } catch (IOException e) {
            return List.of(); // the task's logs went away meanwhile
        }
    }

    private static long newestModification(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.mapToLong(p -> {
                try {
                    return Files.getLastModifiedTime(p).toMillis();
                } catch (IOException e) {
                    return Long.MAX_VALUE; // unsure: keep it
                }
            }).max().orElse(0);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * @param maxBytesPerService at most this much of each service's log is kept (the newest bytes)
     * @param maxChunkBytes      one read returns at most this much
     * @param retention          logs of tasks gone for longer are deleted
     */
    public record LogLimits(long maxBytesPerService, int maxChunkBytes, Duration retention) {
        public static final LogLimits DEFAULT = new LogLimits(10L << 20, 64 << 10, Duration.ofHours(24));

        public LogLimits {
            if (maxBytesPerService < 2) {
                throw new IllegalArgumentException("the log cap must be at least 2 bytes");
            }
        }
    }
}
