package io.berth.loadtest.measure;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this JVM's JIT compiler threads, read from {@code /proc/self/task} (they are hidden from
 * {@code ThreadMXBean}, and the {@code CompilationMXBean}'s time is elapsed time, which grows while a compiler
 * thread waits for a CPU on a busy machine).
 */
public final class JitCpu {
    private static final double TICK_MS = 10; // USER_HZ is 100 on Linux

    private JitCpu() {}

    /** Milliseconds of CPU the compiler threads used so far; -1 where {@code /proc} is not readable. */
    public static double millis() {
        long ticks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return ticks * TICK_MS;
    }
}
