package io.berth.agent.probe;

import java.time.Duration;

/**
 * How often a probe is worth running while a service starts: from {@code first} between attempts,
 * growing by {@code factor} up to {@code max}. Cheap probes go fast so readiness is seen within
 * milliseconds; probes that spawn a process back off.
 */
public record Pace(Duration first, Duration max, double factor) {
    /** Reading {@code /proc}: costs microseconds. */
    public static final Pace PROC = new Pace(Duration.ofMillis(2), Duration.ofMillis(5), 1.25);
    /** Spawning a command: a few milliseconds of CPU each time. */
    public static final Pace COMMAND = new Pace(Duration.ofMillis(5), Duration.ofMillis(50), 1.5);

    /** The slower of two paces (for probes run together). */
    public Pace slowest(Pace other) {
        return new Pace(max(first, other.first), max(max, other.max), Math.max(factor, other.factor));
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
