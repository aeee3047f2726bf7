package io.berth.agent.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * One service's cgroup (a directory in each hierarchy the agent uses). Every process of the service is in it,
 * forks, double forks and new sessions included: it is how the service's processes are found, counted and killed,
 * without reading {@code /proc}. Blocking methods.
 *
 * @param unified  the v2 directory (events, kill, cpu.stat), or null on a host without cgroup v2
 * @param dirs     every directory of it, v2 first
 * @param hostRoot where the host's cgroup file systems are (the one hierarchy's mount point, or the directory of
 *                 their mount points), which the service's sandbox shows it with only its own cgroups in; null: the
 *                 host's as they are
 */
public record ServiceCgroup(String name, Path unified, List<Path> dirs, Path hostRoot) {
    private static final int REMOVE_ATTEMPTS = 200;
    private static final java.util.concurrent.atomic.AtomicLong REMOVED_CPU_NANOS = new java.util.concurrent.atomic.AtomicLong();

    /** CPU time the services of every cgroup this JVM removed had used: what services cost, apart from Berth. */
    public static long cpuNanosOfRemoved() {
        return REMOVED_CPU_NANOS.get();
    }

    /** Whether any process is in it. */
    public boolean populated() {
        try {
            if (unified != null) {
                return Files.readString(unified.resolve("cgroup.events")).contains("populated 1");
            }
            for (Path dir : dirs) {
                if (!Files.readString(dir.resolve("cgroup.procs")).isBlank()) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false; // gone
        }
    }

    /** SIGKILL to every process in it: {@code cgroup.kill} where the kernel has it, else each listed process. */
    public void kill() {
        try {
            if (unified != null && Files.exists(unified.resolve("cgroup.kill"))) {
                Files.writeString(unified.resolve("cgroup.kill"), "1");
                return;
            }
        } catch (IOException ignored) {
            // gone
        }
        for (Path dir : dirs) {
            try {
                for (String pid : Files.readString(dir.resolve("cgroup.procs")).split("\\s+")) {
                    if (!pid.isBlank()) {
                        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            } catch (IOException ignored) {
                // this one is gone, or was never made (a v1 controller the service set no limit of)
            }
        }
    }

    /** CPU time its processes used, in nanoseconds (0 when not accounted). */
    public long cpuNanos() {
        try {
            if (unified != null) {
                for (String line : Files.readAllLines(unified.resolve("cpu.stat"))) {
                    if (line.startsWith("usage_usec ")) {
                        return Long.parseLong(line.substring(11).strip()) * 1000;
                    }
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // gone, or not accounted
        }
        return 0;
    }

    /** Kills what is left in it and removes it; idempotent. */
    public void remove() throws IOException {
        for (Path dir : dirs) {
            for (int attempt = 0; ; attempt++) {
                try {
                    long cpu = dir.equals(unified) ? cpuNanos() : 0; // all it will have used, when it can go
                    if (Files.deleteIfExists(dir)) {
                        REMOVED_CPU_NANOS.addAndGet(cpu);
                    }
                    break;
                } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                    break; // not ours to remove, or gone
                } catch (FileSystemException busy) { // EBUSY: processes still in it (dying, or left behind)
                    if (attempt == REMOVE_ATTEMPTS) {
                        throw new IOException("cgroup " + dir + " still has processes after SIGKILL", busy);
                    }
                    kill();
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while removing cgroup " + dir, e);
                    }
                }
            }
        }
    }
}
