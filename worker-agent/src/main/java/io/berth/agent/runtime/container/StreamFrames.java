package io.berth.agent.runtime.container;

import io.vertx.core.buffer.Buffer;

/**
 * Splits the engine's multiplexed stdout/stderr stream (logs and exec output of a container without a TTY)
 * into its payloads. Each frame is an 8-byte header — stream (0 stdin, 1 stdout, 2 stderr), three zero
 * bytes, payload length as a big-endian uint32 — then the payload; frames may be split across chunks. A
 * stream that does not start with such a header (a TTY's) is passed through as it is.
 */
final class StreamFrames {
    private static final int HEADER = 8;

    private Buffer pending = Buffer.buffer();
    private boolean raw;

    /** Feeds one chunk; returns the payload bytes it completed (possibly none), stdout and stderr merged in order. */
    Buffer feed(Buffer chunk) {
        if (raw) {
            return chunk;
        }
        pending.appendBuffer(chunk);
        Buffer out = Buffer.buffer();
        int pos = 0;
        while (pending.length() - pos >= HEADER) {
            if (!isHeader(pending, pos)) {
                raw = true;
                out.appendBuffer(pending.getBuffer(pos, pending.length()));
                pos = pending.length();
                break;
            }
            long size = pending.getUnsignedInt(pos + 4);
            if (pending.length() - pos - HEADER < size) {
                break;
            }
            out.appendBuffer(pending.getBuffer(pos + HEADER, pos + HEADER + (int) size));
            pos += HEADER + (int) size;
        }
        pending = pending.getBuffer(pos, pending.length());
        return out;
    }

    /** What is left at the end of the stream: an incomplete frame, as it is (nothing is dropped silently). */
    Buffer rest() {
        Buffer left = pending;
        pending = Buffer.buffer();
        if (raw || left.length() < HEADER || !isHeader(left, 0)) {
            return left;
        }
        return left.getBuffer(HEADER, left.length());
    }

    private static boolean isHeader(Buffer b, int pos) {
        byte stream = b.getByte(pos);
        return stream >= 0 && stream <= 2 && b.getByte(pos + 1) == 0 && b.getByte(pos + 2) == 0
                && b.getByte(pos + 3) == 0;
    }
}
