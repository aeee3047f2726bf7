package io.berth.agent.os;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Listening TCP ports as seen from a process's network namespace, read from {@code /proc/PID/net/tcp}
 * and {@code tcp6} — no process is spawned, so it can be polled every few milliseconds.
 */
public final class ProcNet {
    private static final byte[] LISTEN = {'0', 'A'};
    private static final List<String> FILES = List.of("tcp", "tcp6");
    /**
     * A read of a procfs table returns what fits in one page (4 KiB at least), stopping short of it only at the
     * table's end or before a line that would not fit (a line is under 200 bytes): a read that brought less than
     * this is the whole table.
     */
    static final int WHOLE_TABLE_BELOW = 2048;

    private ProcNet() {}

    /**
     * Ports in LISTEN state (any local address) in the namespace of {@code pid}.
     *
     * @throws NoSuchFileException when the process is gone
     */
    public static Set<Integer> listeningPorts(long pid) throws IOException {
        return listeningPorts(Path.of("/proc", Long.toString(pid), "net"));
    }

    /** Same, from a {@code net} directory (a {@code /proc/PID/net} or a copy of one). */
    public static Set<Integer> listeningPorts(Path netDir) throws IOException {
        return listeningPorts(netDir, Set.of());
    }

    /**
     * Ports in LISTEN state in the namespace of {@code pid}, read up to the first table that has all of {@code
     * enough}: {@code tcp6} is read only when {@code tcp} lacks one of them (a probe asks every few milliseconds
     * while a service starts). The result holds every port of {@code enough} that listens, and perhaps others.
     *
     * @throws NoSuchFileException when the process is gone
     */
    public static Set<Integer> listeningPorts(long pid, Set<Integer> enough) throws IOException {
        return listeningPorts(Path.of("/proc", Long.toString(pid), "net"), enough);
    }

    /** The LISTEN ports of the tables in {@code netDir}, stopping once {@code enough} are all there (empty: never). */
    static Set<Integer> listeningPorts(Path netDir, Set<Integer> enough) throws IOException {
        Set<Integer> ports = new HashSet<>();
        boolean any = false;
        for (String file : FILES) {
            if (any && !enough.isEmpty() && ports.containsAll(enough)) {
                break;
            }
            byte[] table;
            try {
                table = readTable(netDir.resolve(file));
            } catch (NoSuchFileException e) {
                continue; // tcp6 is absent when IPv6 is disabled
            }
            any = true;
            parse(table, ports);
        }
        if (!any) {
            throw new NoSuchFileException(netDir.resolve("tcp").toString());
        }
        return ports;
    }

    /**
     * The table in {@code file}, in one read when that one brings {@link #WHOLE_TABLE_BELOW} bytes or fewer (a task's
     * namespace has a few sockets): the kernel walks its whole listening hash, shared by every namespace, for each
     * read — the one that finds the end too, which reading to the end would add.
     */
    static byte[] readTable(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] first = new byte[8192];
            int n = in.read(first);
            if (n < WHOLE_TABLE_BELOW) {
                return Arrays.copyOf(first, Math.max(n, 0));
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream(2 * n);
            all.write(first, 0, n);
            in.transferTo(all);
            return all.toByteArray();
        }
    }

    /**
     * Adds the LISTEN ports of a {@code /proc/net/tcp}-format table (header line first) to {@code into}. Read as
     * bytes, field by field: a probe polls this every few milliseconds, and decoding and splitting every line of a
     * busy namespace's table was most of a probe's cost.
     */
    static void parse(byte[] table, Set<Integer> into) {
        int i = lineAfter(table, 0);
        while (i < table.length) {
            int end = lineAfter(table, i);
            // fields: sl, local_address (ADDR:PORT), rem_address, st
            int local = fieldStart(table, i, end, 1);
            int state = fieldStart(table, i, end, 3);
            if (state >= 0 && state + 2 <= end && table[state] == LISTEN[0] && table[state + 1] == LISTEN[1]) {
                int colon = local;
                while (colon < end && table[colon] != ':') {
                    colon++;
                }
                int port = 0;
                int digits = 0;
                for (int k = colon + 1; k < end && table[k] != ' '; k++, digits++) {
                    port = (port << 4) | Character.digit(table[k], 16);
                }
                if (digits > 0 && port >= 0) {
                    into.add(port);
                }
            }
            i = end;
        }
    }

    private static int lineAfter(byte[] b, int from) {
        int i = from;
        while (i < b.length && b[i] != '\n') {
            i++;
        }
        return Math.min(i + 1, b.length);
    }

    /** Where field {@code n} (0-based, blank-separated) of the line [from, end) starts, or -1. */
    private static int fieldStart(byte[] b, int from, int end, int n) {
        int i = from;
        for (int field = 0; ; field++) {
            while (i < end && (b[i] == ' ' || b[i] == '\n')) {
                i++;
            }
            if (i >= end) {
                return -1;
            }
            if (field == n) {
                return i;
            }
            while (i < end && b[i] != ' ' && b[i] != '\n') {
                i++;
            }
        }
    }
}
