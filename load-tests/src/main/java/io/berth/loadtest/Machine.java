package io.berth.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;

/** How busy the machine is with work that is not the benchmark's. */
public final class Machine {
    private Machine() {}

    /** CPU busy percentage over one second, sampled from /proc/stat while this process idles. */
    public static double otherCpuBusyPercent() {
        try {
            long[] a = cpu();
            Thread.sleep(1000);
            long[] b = cpu();
            double total = b[0] - a[0];
            return total <= 0 ? 0 : Math.round(1000.0 * (total - (b[1] - a[1])) / total) / 10.0;
        } catch (Exception e) {
            return -1;
        }
    }

    /** {total, idle + iowait} jiffies. */
    private static long[] cpu() throws java.io.IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length && i <= 8; i++) {
            total += Long.parseLong(f[i]);
        }
        return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
    }
}
