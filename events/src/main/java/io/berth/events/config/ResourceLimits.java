package io.berth.events.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.Locale;

/**
 * Resource limits of a service: a container's are passed to the container engine, a process's (and a prototype's)
 * become its cgroup's. Each may be null (no limit; for pids, the worker's default).
 *
 * @param memory bytes, written plainly ({@code 1073741824}) or with a binary suffix: {@code 512m}, {@code 1g},
 *               {@code 64k}
 * @param cpus   CPU time as a number of CPUs, e.g. {@code 0.5} or {@code 2}
 * @param pids   how many processes (and threads) the service may have at once
 */
public record ResourceLimits(String memory, Double cpus, Long pids) {

    public ResourceLimits(String memory, Double cpus) {
        this(memory, cpus, null);
    }

    /** {@link #memory} in bytes, or null when unset. */
    @JsonIgnore
    public Long memoryBytes() {
        if (memory == null) {
            return null;
        }
        String m = memory.strip().toLowerCase(Locale.ROOT);
        long unit = switch (m.isEmpty() ? ' ' : m.charAt(m.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        String digits = unit == 1 ? m : m.substring(0, m.length() - 1);
        try {
            return Math.multiplyExact(Long.parseLong(digits), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("memory '" + memory + "' is not a size like 512m, 1g or 1073741824");
        }
    }
}
