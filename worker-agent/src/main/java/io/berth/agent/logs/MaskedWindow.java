package io.berth.agent.logs;

import io.berth.events.config.Secrets;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Masks a window of a log so that no choice of window reveals any part of a secret. Masking the window's own text
 * is not enough: a window that starts (or ends) inside a secret holds only a piece of it, which no search for the
 * whole value finds. So the secrets are searched for in the window together with the bytes just around it (as many
 * as the longest secret, less one), and every byte of the window that belongs to an occurrence is masked, even
 * when the occurrence begins before the window or ends after it. A window that ends where the log ends (the
 * service may be writing the rest of a secret right now) also has a trailing beginning of a secret masked.
 *
 * <p>Offsets are not changed: the masked data only replaces the window's bytes ({@link Secrets#MASK} for each run
 * of secret bytes).
 */
final class MaskedWindow {
    private final List<byte[]> secrets = new ArrayList<>();
    private final int longest;

    MaskedWindow(Collection<String> values) {
        int max = 0;
        for (String value : values) {
            if (value != null && value.length() >= Secrets.MIN_MASKED_LENGTH) {
                byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
                secrets.add(bytes);
                max = Math.max(max, bytes.length);
            }
        }
        this.longest = max;
    }

    boolean isEmpty() {
        return secrets.isEmpty();
    }

    /** How many bytes before and after a window must be looked at. */
    int margin() {
        return Math.max(0, longest - 1);
    }

    /**
     * The window's bytes, masked.
     *
     * @param before     bytes of the log just before the window (up to {@link #margin()})
     * @param window     the window
     * @param after      bytes just after it (up to {@link #margin()})
     * @param atLogEnd   the window (with {@code after}) reaches the end of what was written so far
     */
    byte[] mask(byte[] before, byte[] window, byte[] after, boolean atLogEnd) {
        byte[] all = new byte[before.length + window.length + after.length];
        System.arraycopy(before, 0, all, 0, before.length);
        System.arraycopy(window, 0, all, before.length, window.length);
        System.arraycopy(after, 0, all, before.length + window.length, after.length);
        boolean[] secret = new boolean[all.length];
        for (byte[] value : secrets) {
            for (int at = indexOf(all, value, 0); at >= 0; at = indexOf(all, value, at + 1)) {
                java.util.Arrays.fill(secret, at, at + value.length, true);
            }
            if (atLogEnd) {
                markTrailingBeginning(all, value, secret);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(window.length);
        int end = before.length + window.length;
        for (int i = before.length; i < end; i++) {
            if (!secret[i]) {
                out.write(window[i - before.length]);
            } else if (i == before.length || !secret[i - 1]) {
                out.writeBytes(Secrets.MASK.getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    /** Marks the longest end of {@code all} that is the beginning of {@code value} (the rest not written yet). */
    private static void markTrailingBeginning(byte[] all, byte[] value, boolean[] secret) {
        for (int k = Math.min(value.length - 1, all.length); k > 0; k--) {
            if (java.util.Arrays.equals(all, all.length - k, all.length, value, 0, k)) {
                java.util.Arrays.fill(secret, all.length - k, all.length, true);
                return;
            }
        }
    }

    private static int indexOf(byte[] data, byte[] value, int from) {
        outer:
        for (int i = from; i <= data.length - value.length; i++) {
            for (int j = 0; j < value.length; j++) {
                if (data[i + j] != value[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
