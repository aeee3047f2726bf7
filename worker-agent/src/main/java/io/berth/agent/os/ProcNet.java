package io.berth.agent.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Listening TCP ports as seen from a process's network namespace, read from {@code /proc/PID/net/tcp}
 * and {@code tcp6} — no process is spawned, so it can be polled every few milliseconds.
 */
public final class ProcNet {
    private static final String LISTEN = "0A";

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
        Set<Integer> ports = new HashSet<>();
        boolean any = false;
        for (String file : List.of("tcp", "tcp6")) {
            Path p = netDir.resolve(file);
            List<String> lines;
            try {
                lines = Files.readAllLines(p);
            } catch (NoSuchFileException e) {
                continue; // tcp6 is absent when IPv6 is disabled
            }
            any = true;
            parse(lines, ports);
        }
        if (!any) {
            throw new NoSuchFileException(netDir.resolve("tcp").toString());
        }
        return ports;
    }

    /** Adds the LISTEN ports of a {@code /proc/net/tcp}-format table (header line first) to {@code into}. */
    static void parse(List<String> lines, Set<Integer> into) {
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).trim().split("\\s+");
            if (f.length < 4 || !LISTEN.equals(f[3])) {
                continue;
            }
            int colon = f[1].lastIndexOf(':');
            if (colon < 0) {
                continue;
            }
            into.add(Integer.parseInt(f[1].substring(colon + 1), 16));
        }
    }
}
