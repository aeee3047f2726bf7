package io.berth.loadtest.peer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Redis for a task the way teams run it today: {@code podman-compose up} of a redis service with a
 * healthcheck, the task started once redis is healthy ({@code depends_on: condition: service_healthy}),
 * {@code podman-compose down} after it. Timed from outside, by wall clock.
 *
 * <p>Two pieces of that path do not work on this kind of machine and are done by the benchmark in the
 * same way, so the figures stay those of the real path:
 * <ul>
 *   <li>podman schedules healthchecks with systemd timers ({@code systemd-run --on-unit-inactive=INTERVAL
 *       podman healthcheck run ID}); without systemd no check ever runs. The benchmark runs the same
 *       {@code podman healthcheck run} on the same schedule: first {@code interval} after the container
 *       started, then {@code interval} after the previous check ended (without the timer's 1 s accuracy
 *       window, which favours the peer).</li>
 *   <li>podman-compose 1.0.3 (Debian 12) ignores {@code condition: service_healthy}. The benchmark brings
 *       redis up, waits for healthy as above, then starts the task with {@code podman-compose run --no-deps}.</li>
 * </ul>
 * {@link #floor} is the fastest any container path can be here: {@code podman run -d}, then
 * {@code podman healthcheck run} back to back until healthy, then {@code podman stop} and {@code rm}.
 */
final class ComposePeer {
    static final String REDIS_CONTAINER = "berth-peer-redis";
    static final String FLOOR_CONTAINER = "berth-peer-floor";
    static final String PROJECT = "berth-peer";
    /** Go's time.String(): {@code 2026-11-26 04:59:26.9286501 +0000 UTC}, trailing zeros of the fraction cut. */
    private static final Pattern PODMAN_TIME =
            Pattern.compile("(\\d{4}-\\d{2}-\\d{2}) (\\d{2}:\\d{2}:\\d{2})(?:\\.(\\d{1,9}))? ([+-]\\d{2})(\\d{2})");

    /** One compose run; all in milliseconds. */
    record ComposeRun(double upReturnedMs, double startToHealthyMs, int healthChecks, double taskMs,
                      boolean taskOk, double downMs, double totalMs) {}

    /** One floor run; all in milliseconds. */
    record FloorRun(double startToHealthyMs, int healthChecks, double teardownMs) {}

    private final Commands commands;
    private final Path composeFile;
    private final Path podmanShim;
    private final String image;
    private final Duration healthInterval;

    ComposePeer(Commands commands, Path composeFile, Path podmanShim, String image, Duration healthInterval) {
        this.commands = commands;
        this.composeFile = composeFile;
        this.podmanShim = podmanShim;
        this.image = image;
        this.healthInterval = healthInterval;
    }

    /** Removes what an interrupted earlier run left. */
    void clean() throws IOException, InterruptedException {
        commands.run(List.of("podman", "rm", "-f", "-t", "0", REDIS_CONTAINER, FLOOR_CONTAINER), 60);
    }

    ComposeRun compose() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        commands.check(compose("up", "-d", "redis"), 120);
        long upReturned = System.nanoTime();
        Instant started = startedAt(REDIS_CONTAINER);
        // the systemd timer's first run: interval after the container started
        long firstCheck = upReturned + Duration.between(Instant.now(), started.plus(healthInterval)).toNanos();
        int[] checks = {0};
        long healthy = awaitHealthy(REDIS_CONTAINER, firstCheck, healthInterval.toNanos(), checks);
        Commands.Result task = commands.run(compose("run", "--rm", "--no-deps", "-T", "task"), 120);
        long taskDone = System.nanoTime();
        commands.check(compose("down"), 120);
        long down = System.nanoTime();
        return new ComposeRun(ms(upReturned - t0), ms(healthy - t0), checks[0], ms(taskDone - healthy),
                task.ok() && task.output().contains("PONG"), ms(down - taskDone), ms(down - t0));
    }

    FloorRun floor() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        commands.check(List.of("podman", "run", "-d", "--name", FLOOR_CONTAINER, "--network", "none",
                "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768",
                "--health-cmd", "redis-cli ping", "--health-interval", "1s", image,
                "redis-server", "--port", "6379", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"), 120);
        int[] checks = {0};
        long healthy = awaitHealthy(FLOOR_CONTAINER, System.nanoTime(), 0, checks);
        long d0 = System.nanoTime();
        commands.check(List.of("podman", "stop", "-t", "5", FLOOR_CONTAINER), 60);
        commands.check(List.of("podman", "rm", FLOOR_CONTAINER), 60);
        return new FloorRun(ms(healthy - t0), checks[0], ms(System.nanoTime() - d0));
    }

    /** Runs {@code podman healthcheck run} at {@code firstAt}, then {@code periodNanos} after each check ended. */
    private long awaitHealthy(String container, long firstAt, long periodNanos, int[] checks)
            throws IOException, InterruptedException {
        long next = firstAt;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            checks[0]++;
            Commands.Result r = commands.run(List.of("podman", "healthcheck", "run", container), 60);
            long done = System.nanoTime();
            if (r.ok()) {
                return done;
            }
            next = done + periodNanos;
        }
        throw new IOException(container + " not healthy within 60 s");
    }

    private Instant startedAt(String container) throws IOException, InterruptedException {
        String text = commands.check(List.of("podman", "inspect", "--format", "{{.State.StartedAt}}", container), 60)
                .output().strip();
        Instant at = parsePodmanTime(text);
        if (at == null) {
            throw new IOException("cannot read the start time of " + container + " from '" + text + "'");
        }
        return at;
    }

    static Instant parsePodmanTime(String text) {
        Matcher m = PODMAN_TIME.matcher(text);
        if (!m.find()) {
            return null;
        }
        String fraction = m.group(3) == null ? "0" : (m.group(3) + "00000000").substring(0, 9);
        return OffsetDateTime.parse(m.group(1) + "T" + m.group(2) + "." + fraction + m.group(4) + ":" + m.group(5))
                .toInstant();
    }

    private List<String> compose(String... args) {
        List<String> argv = new ArrayList<>(List.of("podman-compose", "--podman-path", podmanShim.toString(),
                "-p", PROJECT, "-f", composeFile.toString()));
        argv.addAll(List.of(args));
        return argv;
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
