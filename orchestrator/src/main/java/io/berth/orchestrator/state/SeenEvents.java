package io.berth.orchestrator.state;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The events a task applied, by dedupe key ({@code source + " " + id}), kept as 128-bit fingerprints (the first half
 * of the key's SHA-256) in one array: a live task applies five or more events, and their keys as strings in a hash set
 * were about a kilobyte per task, the largest part of what a live task held. Snapshots carry the fingerprints as
 * {@code #} and 32 hex digits; a snapshot written with the keys themselves (older orchestrators) reads the same, since
 * a key always has a space and a fingerprint never does. Not thread-safe (the task's context).
 */
final class SeenEvents {
    private static final HexFormat HEX = HexFormat.of();
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    });

    /** Fingerprints as pairs of longs: [2i] the high half, [2i + 1] the low half. */
    private long[] fingerprints = new long[8];
    private int size;

    /** Whether an event with this dedupe key (or its fingerprint, as snapshots carry it) was applied. */
    boolean contains(String key) {
        long[] f = fingerprint(key);
        return indexOf(f[0], f[1]) >= 0;
    }

    /** Records the key; false when it was already there. */
    boolean add(String key) {
        long[] f = fingerprint(key);
        if (indexOf(f[0], f[1]) >= 0) {
            return false;
        }
        if (2 * size == fingerprints.length) {
            fingerprints = Arrays.copyOf(fingerprints, fingerprints.length * 2);
        }
        fingerprints[2 * size] = f[0];
        fingerprints[2 * size + 1] = f[1];
        size++;
        return true;
    }

    int size() {
        return size;
    }

    /** The fingerprints as a snapshot carries them, sorted (a snapshot's bytes depend only on its content). */
    List<String> forSnapshot() {
        List<String> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add("#" + HEX.toHexDigits(fingerprints[2 * i]) + HEX.toHexDigits(fingerprints[2 * i + 1]));
        }
        out.sort(null);
        return out;
    }

    private int indexOf(long high, long low) {
        for (int i = 0; i < size; i++) {
            if (fingerprints[2 * i] == high && fingerprints[2 * i + 1] == low) {
                return i;
            }
        }
        return -1;
    }

    /** {@code #} and 32 hex digits: what {@link #forSnapshot} writes (a dedupe key always has a space). */
    private static boolean isFingerprint(String key) {
        if (key.length() != 33 || key.charAt(0) != '#') {
            return false;
        }
        for (int i = 1; i < 33; i++) {
            if (!HexFormat.isHexDigit(key.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static long[] fingerprint(String key) {
        if (isFingerprint(key)) {
            return new long[] {HexFormat.fromHexDigitsToLong(key, 1, 17), HexFormat.fromHexDigitsToLong(key, 17, 33)};
        }
        byte[] digest = SHA256.get().digest(key.getBytes(StandardCharsets.UTF_8));
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (digest[i] & 0xff);
            low = (low << 8) | (digest[8 + i] & 0xff);
        }
        return new long[] {high, low};
    }
}
