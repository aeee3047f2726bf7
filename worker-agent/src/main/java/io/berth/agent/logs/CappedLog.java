package io.berth.agent.logs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A service's log with a size cap, read by offset. The service appends to {@code NAME.log} directly (O_APPEND, no
 * copying thread), so the cap works like logrotate's copytruncate: when the file outgrows half the cap, it is
 * copied to {@code NAME.log.1} (replacing the older part) and truncated. At most the cap is kept, the newest bytes.
 *
 * <p>Offsets count every byte the service wrote, so a reader following the log keeps its place across rotations;
 * {@code NAME.log.offsets} records where the two files start. Bytes the service writes between the copy and the
 * truncation (a few microseconds) are lost and reported as skipped, like the bytes rotated away.
 *
 * <p>Not thread-safe on its own: {@link ServiceLogs} serialises every use. Blocking.
 */
final class CappedLog {
    private final Path current;
    private final Path previous;
    private final Path offsets;

    CappedLog(Path log) {
        this.current = log;
        this.previous = log.resolveSibling(log.getFileName() + ".1");
        this.offsets = log.resolveSibling(log.getFileName() + ".offsets");
    }

    boolean exists() {
        return Files.exists(current);
    }

    /**
     * Rotates when the current file is larger than half of {@code maxBytes}: its newest half-cap (from a line start
     * when there is one) becomes the previous part, the rest is dropped. True when it rotated.
     */
    boolean capAt(long maxBytes) {
        try (FileChannel ch = FileChannel.open(current, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long half = Math.max(1, maxBytes / 2);
            if (size <= half) {
                return false;
            }
            Starts starts = starts();
            long from = lineStartAfter(ch, size - half, size);
            Path tmp = previous.resolveSibling(previous.getFileName() + ".tmp");
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                long done = 0;
                while (done < size - from) {
                    done += ch.transferTo(from + done, size - from - done, out);
                }
            }
            long atTruncate = ch.size(); // bytes written since `size` are lost (a few microseconds' worth)
            ch.truncate(0);
            Files.move(tmp, previous, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            writeStarts(new Starts(starts.current() + from, starts.current() + atTruncate));
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rotate " + current, e);
        }
    }

    /**
     * Reads up to {@code maxBytes} from {@code offset} (or from the start of the last {@code tailLines} lines when
     * that is positive), cut after the last line end in the range when there is one.
     */
    LogRead read(long offset, int maxBytes, int tailLines) {
        return read(offset, maxBytes, tailLines, true);
    }

    /** Up to {@code maxBytes} from {@code offset} as they are, not cut at a line end (what surrounds a window). */
    LogRead readRaw(long offset, int maxBytes) {
        return read(offset, maxBytes, 0, false);
    }

    private LogRead read(long offset, int maxBytes, int tailLines, boolean cutAtLineEnd) {
        if (!Files.exists(current)) {
            return LogRead.notFound();
        }
        try {
            Starts starts = starts();
            long currentSize = Files.size(current);
            long prevSize = Files.exists(previous) ? Files.size(previous) : 0;
            long prevStart = starts.previous();
            if (prevSize == 0) {
                prevStart = starts.current();
            }
            long end = starts.current() + currentSize;
            long oldest = prevSize > 0 ? prevStart : starts.current();
            long from = tailLines > 0 ? tailStart(tailLines, starts.current(), currentSize, prevStart, prevSize)
                    : Math.max(0, offset);
            long skipped = 0;
            if (from < oldest) {
                skipped = oldest - from;
                from = oldest;
            } else if (prevSize > 0 && from >= prevStart + prevSize && from < starts.current()) {
                skipped = starts.current() - from; // lost at a rotation
                from = starts.current();
            }
            if (from >= end) {
                return new LogRead(true, new byte[0], Math.min(from, end), Math.max(from, end), skipped, end);
            }
            byte[] data;
            if (prevSize > 0 && from < prevStart + prevSize) {
                data = readRange(previous, from - prevStart, (int) Math.min(maxBytes, prevStart + prevSize - from));
            } else {
                data = readRange(current, from - starts.current(), (int) Math.min(maxBytes, end - from));
            }
            int cut = cutAtLineEnd ? lastNewline(data) : 0;
            if (cut > 0 && cut < data.length) {
                data = java.util.Arrays.copyOf(data, cut);
            }
            return new LogRead(true, data, from, from + data.length, skipped, end);
        } catch (NoSuchFileException e) {
            return LogRead.notFound();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + current, e);
        }
    }

    /** The first line start at or after {@code pos} (looking at most 8 KiB ahead, never past end), else {@code pos}. */
    private static long lineStartAfter(FileChannel ch, long pos, long end) throws IOException {
        if (pos == 0) {
            return 0;
        }
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(8192, end - pos));
        ch.read(buf, pos - 1);
        for (int i = 0; i < buf.position(); i++) {
            if (buf.get(i) == '\n') {
                return pos - 1 + i + 1;
            }
        }
        return pos;
    }

    /** Offset of the first byte of the last {@code lines} lines (a trailing newline does not start a line). */
    private long tailStart(int lines, long currentStart, long currentSize, long prevStart, long prevSize)
            throws IOException {
        int[] left = {lines};
        long pos = scanBack(current, currentSize, left, true);
        if (pos >= 0) {
            return currentStart + pos;
        }
        if (prevSize > 0) {
            pos = scanBack(previous, prevSize, left, currentSize == 0);
            if (pos >= 0) {
                return prevStart + pos;
            }
            return prevStart;
        }
        return currentStart;
    }

    /** Scans {@code file} backwards for newlines; returns the offset after the one that used up {@code left}. */
    private static long scanBack(Path file, long size, int[] left, boolean ignoreTrailingNewline) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            long pos = size;
            boolean first = ignoreTrailingNewline;
            while (pos > 0) {
                int len = (int) Math.min(buf.capacity(), pos);
                pos -= len;
                buf.clear().limit(len);
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) >= 0) {
                    // fill
                }
                for (int i = len - 1; i >= 0; i--) {
                    if (buf.get(i) == '\n') {
                        if (first && pos + i == size - 1) {
                            continue; // the newline ending the last line
                        }
                        if (--left[0] == 0) {
                            return pos + i + 1;
                        }
                    }
                }
                first = false;
            }
            return -1;
        }
    }

    private static byte[] readRange(Path file, long position, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(Math.max(0, length));
            while (buf.hasRemaining()) {
                if (ch.read(buf, position + buf.position()) < 0) {
                    break;
                }
            }
            return java.util.Arrays.copyOf(buf.array(), buf.position());
        }
    }

    /** Length up to and including the last '\n', or 0 when there is none. */
    private static int lastNewline(byte[] data) {
        for (int i = data.length - 1; i >= 0; i--) {
            if (data[i] == '\n') {
                return i + 1;
            }
        }
        return 0;
    }

    private record Starts(long previous, long current) {}

    private Starts starts() throws IOException {
        if (!Files.exists(offsets)) {
            return new Starts(0, 0);
        }
        String[] parts = Files.readString(offsets, StandardCharsets.US_ASCII).trim().split("\\s+");
        try {
            return new Starts(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        } catch (RuntimeException e) {
            return new Starts(0, 0);
        }
    }

    private void writeStarts(Starts starts) throws IOException {
        Path tmp = offsets.resolveSibling(offsets.getFileName() + ".tmp");
        Files.writeString(tmp, starts.previous() + " " + starts.current() + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, offsets, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
