package io.berth.agent.logs;

/**
 * What one read of a service log returned.
 *
 * @param found      false when the service has no log here
 * @param data       the bytes read, starting at {@code offset}
 * @param nextOffset where the next read continues
 * @param skipped    bytes between the requested offset and {@code offset} that the size cap rotated away
 * @param size       everything the service wrote so far
 */
public record LogRead(boolean found, byte[] data, long offset, long nextOffset, long skipped, long size) {
    static LogRead notFound() {
        return new LogRead(false, new byte[0], 0, 0, 0, 0);
    }
}
