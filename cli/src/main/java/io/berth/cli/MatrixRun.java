package io.berth.cli;

import io.berth.events.config.TaskMatrix;
import io.berth.events.payload.TaskServicesReleased;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Runs a task file's {@code across} matrix as Concourse does: one task per combination, at most
 * {@code max_in_flight} at once, in order; with {@code fail_fast}, the first failure aborts the runs in flight and
 * skips the rest. Each run's lines are prefixed with its combination; a summary table follows. Exit 0 only when
 * every combination succeeded, otherwise the exit code of the first that did not.
 */
final class MatrixRun {
    /**
     * How one combination went: CMD's exit (or Berth's code), start to ready, how its services were stopped, and
     * whether their release was seen.
     */
    record Outcome(int exit, Long readyMillis, String releasedBy, boolean released) {}

    /** Runs one combination as a task; once {@code abort} fires (fail_fast), it stops CMD or does not run it. */
    interface Runner {
        Outcome run(TaskFiles.LoadedRun run, Abort abort) throws Exception;
    }

    /**
     * fail_fast's signal to the combinations in flight: a combination checks it while it waits and stops its CMD.
     * Cooperative rather than a thread interrupt: an interrupted Kafka client throws, and a combination must still
     * release its services.
     */
    static final class Abort {
        private volatile boolean fired;

        boolean fired() {
            return fired;
        }

        void fire() {
            fired = true;
        }
    }

    /** A combination's row in the summary. */
    private record Row(String label, Outcome outcome, String note) {}

    private final TaskMatrix matrix;
    private final List<TaskFiles.LoadedRun> runs;
    private final Runner runner;
    private final PrintWriter err;
    private final boolean quiet;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger mostInFlight = new AtomicInteger();
    private final Abort abort = new Abort();

    MatrixRun(TaskMatrix matrix, List<TaskFiles.LoadedRun> runs, Runner runner, PrintWriter err, boolean quiet) {
        this.matrix = matrix;
        this.runs = runs;
        this.runner = runner;
        this.err = err;
        this.quiet = quiet;
    }

    private volatile boolean allReleased = true;

    /** After {@link #run}: whether every combination that started saw its services released. */
    boolean allReleased() {
        return allReleased;
    }

    int run() throws InterruptedException {
        int parallel = Math.min(matrix.maxInFlight(), runs.size());
        say("across %s: %d combinations, at most %d at once%s",
                matrix.vars().stream().map(v -> v.name()).collect(Collectors.joining(", ")), runs.size(), parallel,
                matrix.failFast() ? ", fail fast" : "");
        ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, "berth-across");
            t.setDaemon(true);
            return t;
        });
        List<Future<Row>> rows = new ArrayList<>();
        try {
            for (TaskFiles.LoadedRun run : runs) {
                rows.add(pool.submit(() -> runOne(run)));
            }
            List<Row> done = new ArrayList<>();
            for (Future<Row> row : rows) {
                try {
                    done.add(row.get());
                } catch (ExecutionException e) { // runOne catches everything; kept for the compiler's sake
                    throw new IllegalStateException(e.getCause());
                }
            }
            summary(done);
            allReleased = done.stream().allMatch(row -> row.outcome().released());
            return done.stream().map(Row::outcome).mapToInt(Outcome::exit).filter(code -> code != 0).findFirst()
                    .orElse(ExitCodes.OK);
        } finally {
            pool.shutdownNow();
        }
    }

    private Row runOne(TaskFiles.LoadedRun run) {
        if (abort.fired()) {
            return new Row(run.label(), new Outcome(ExitCodes.BERTH_ERROR, null, null, true), "not run (fail_fast)");
        }
        int now = inFlight.incrementAndGet();
        mostInFlight.accumulateAndGet(now, Math::max);
        try {
            boolean abortedBefore = abort.fired();
            Outcome outcome = runner.run(run, abort);
            String note = null;
            if (outcome.exit() != 0) {
                note = !abortedBefore && abort.fired() ? "aborted (fail_fast)"
                        : outcome.readyMillis() == null ? "a service failed" : null;
                failed(note);
            }
            return new Row(run.label(), outcome, note);
        } catch (Exception e) {
            err.println("[" + run.label() + "] berth: " + e.getMessage());
            failed(null);
            return new Row(run.label(), new Outcome(ExitCodes.BERTH_ERROR, null, null, false), e.getMessage());
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** A combination failed: with fail_fast, the others stop (unless it failed only because it was aborted). */
    private void failed(String note) {
        if (matrix.failFast() && !"aborted (fail_fast)".equals(note)) {
            abort.fire();
        }
    }

    private void summary(List<Row> rows) {
        Table table = new Table("COMBINATION", "SERVICES READY IN", "CMD EXIT", "RELEASED BY", "");
        for (Row row : rows) {
            Outcome o = row.outcome();
            table.row(row.label(), o.readyMillis() == null ? null : o.readyMillis() + " ms",
                    o.readyMillis() == null ? null : o.exit(), o.releasedBy(), row.note() == null ? "" : row.note());
        }
        long succeeded = rows.stream().filter(r -> r.outcome().exit() == 0).count();
        err.printf("berth: across: %d of %d combinations succeeded, at most %d ran at once%n", succeeded, rows.size(),
                mostInFlight.get());
        table.print(err);
    }

    private void say(String format, Object... args) {
        if (!quiet) {
            err.println("berth: " + String.format(format, args));
            err.flush();
        }
    }

    /** How a task's services were stopped, for the summary: {@code SIGTERM}, or per service when they differ. */
    static String releasedBy(TaskServicesReleased released) {
        var signals = released.services().stream().map(TaskServicesReleased.ServiceRelease::signal).distinct().toList();
        return signals.size() == 1 ? signals.get(0) : released.services().stream()
                .map(s -> s.name() + " " + s.signal()).collect(Collectors.joining(", "));
    }

    /** Copies {@code lines} to {@code out}, each after {@code prefix}, on a thread of its own (returned, started). */
    static Thread copyLines(java.io.InputStream lines, String prefix, PrintWriter out) {
        Thread copier = new Thread(() -> {
            try (var reader = new BufferedReader(new InputStreamReader(lines, StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    out.println(prefix + line);
                    out.flush();
                }
            } catch (IOException ignored) {
                // CMD is gone
            }
        }, "berth-across-output");
        copier.setDaemon(true);
        copier.start();
        return copier;
    }
}
