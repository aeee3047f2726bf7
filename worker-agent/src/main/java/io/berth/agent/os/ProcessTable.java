package io.berth.agent.os;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a process's {@code /proc} entry: whether it is still the process that was started. Blocking. */
public final class ProcessTable {
    private static final Path PROC = Path.of("/proc");

    private ProcessTable() {}

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

    /** Start time of {@code pid} in clock ticks since boot (identifies it across pid reuse), or -1 when gone. */
    public static long startTicks(long pid) {
        Stat s = stat(pid);
        return s == null ? -1 : s.startTicks;
    }

    private record Stat(char state, long startTicks) {
        boolean live() {
            return state != 'Z' && state != 'X' && state != 'x';
        }
    }

    private static Stat stat(long pid) {
        try {
            String s = Files.readString(PROC.resolve(pid + "/stat"));
            // "pid (comm) state ppid pgrp ..." — comm may hold spaces and parentheses: parse after the last ')'
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // after ')': state(0) ... starttime is field 22 of stat, index 19 here
            return new Stat(f[0].charAt(0), Long.parseLong(f[19]));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
