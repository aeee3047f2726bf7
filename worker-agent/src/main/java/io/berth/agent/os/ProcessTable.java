package io.berth.agent.os;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Queries over {@code /proc}: who is in a process group, who is in a network namespace. Blocking. */
public final class ProcessTable {
    private static final Path PROC = Path.of("/proc");

    private ProcessTable() {}

    /** Live (non-zombie) processes whose process group is {@code pgid}. */
    public static List<Long> groupMembers(long pgid) {
        List<Long> members = new ArrayList<>();
        for (long pid : pids()) {
            Stat s = stat(pid);
            if (s != null && s.pgrp == pgid && s.live()) {
                members.add(pid);
            }
        }
        return members;
    }

    /**
     * Live processes whose environment (as they were started) holds every one of {@code variables}; unreadable
     * entries (another user's, when not root) are skipped.
     */
    public static List<Long> withEnvironment(java.util.Map<String, String> variables) {
        List<byte[]> wanted = variables.entrySet().stream()
                .map(e -> (e.getKey() + "=" + e.getValue()).getBytes(java.nio.charset.StandardCharsets.UTF_8)).toList();
        List<Long> found = new ArrayList<>();
        for (long pid : pids()) {
            Stat s = stat(pid);
            if (s == null || !s.live()) {
                continue;
            }
            try {
                byte[] env = Files.readAllBytes(PROC.resolve(pid + "/environ"));
                if (wanted.stream().allMatch(w -> containsEntry(env, w))) {
                    found.add(pid);
                }
            } catch (IOException | RuntimeException e) {
                // gone meanwhile, or not ours to read
            }
        }
        return found;
    }

    /** Whether the NUL-separated {@code env} has {@code entry} as one whole entry. */
    private static boolean containsEntry(byte[] env, byte[] entry) {
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start == entry.length && java.util.Arrays.equals(env, start, i, entry, 0, entry.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    /** Live processes whose network namespace is the one bound at {@code nsFile} (e.g. /run/netns/X). */
    public static List<Long> inNetworkNamespace(Path nsFile) throws IOException {
        Object ino = Files.getAttribute(nsFile, "unix:ino");
        String link = "net:[" + ino + "]";
        List<Long> found = new ArrayList<>();
        for (long pid : pids()) {
            try {
                if (link.equals(Files.readSymbolicLink(PROC.resolve(pid + "/ns/net")).toString())) {
                    Stat s = stat(pid);
                    if (s != null && s.live()) {
                        found.add(pid);
                    }
                }
            } catch (IOException | UnsupportedOperationException e) {
                // gone meanwhile, or a kernel thread
            }
        }
        return found;
    }

    /** Whether {@code pid} exists and is not a zombie. */
    public static boolean isLive(long pid) {
        Stat s = stat(pid);
        return s != null && s.live();
    }

    /** Whether {@code pid} is still the live (not zombie) process that started at {@code startTicks}. */
    public static boolean isRunning(long pid, long startTicks) {
        Stat s = stat(pid);
        return s != null && s.live() && s.startTicks == startTicks;
    }

    /** Process group of {@code pid}, or -1 when it is gone. */
    public static long processGroup(long pid) {
        Stat s = stat(pid);
        return s == null ? -1 : s.pgrp;
    }

    private static List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(PROC)) {
            for (Path p : dir) {
                String n = p.getFileName().toString();
                if (!n.isEmpty() && Character.isDigit(n.charAt(0))) {
                    try {
                        pids.add(Long.parseLong(n));
                    } catch (NumberFormatException ignored) {
                        // not a pid
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return pids;
    }

    /** Start time of {@code pid} in clock ticks since boot (identifies it across pid reuse), or -1 when gone. */
    public static long startTicks(long pid) {
        Stat s = stat(pid);
        return s == null ? -1 : s.startTicks;
    }

    private record Stat(char state, long pgrp, long startTicks) {
        boolean live() {
            return state != 'Z' && state != 'X' && state != 'x';
        }
    }

    private static Stat stat(long pid) {
        try {
            String s = Files.readString(PROC.resolve(pid + "/stat"));
            // "pid (comm) state ppid pgrp ..." — comm may hold spaces and parentheses: parse after the last ')'
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // after ')': state(0) ppid(1) pgrp(2) ... starttime is field 22 of stat, index 19 here
            return new Stat(f[0].charAt(0), Long.parseLong(f[2]), Long.parseLong(f[19]));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
