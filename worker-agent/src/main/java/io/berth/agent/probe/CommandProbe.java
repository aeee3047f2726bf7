package io.berth.agent.probe;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Executables;
import io.berth.agent.runtime.ExecContext;
import io.berth.agent.runtime.ServiceExec;
import io.berth.agent.sandbox.Launcher;
import io.berth.agent.sandbox.Relay;
import io.berth.events.config.RunSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs a check command where the service runs (its namespace, its user, its directory and
 * environment); exit 0 is success. A check that outlives {@code timeout} is killed and counts as "no".
 */
final class CommandProbe implements Probe {
    private final RunSpec run;
    private final ExecContext where;
    private final ServiceExec inside;
    private final Duration timeout;
    private final String name;
    private volatile Relay current;
    private volatile boolean closed;

    CommandProbe(RunSpec run, ExecContext where, Duration timeout) {
        this(run, where, null, timeout);
    }

    /** Runs the command inside the service (a container) rather than on the host. */
    CommandProbe(RunSpec run, ServiceExec inside, Duration timeout) {
        this(run, null, inside, timeout);
    }

    private CommandProbe(RunSpec run, ExecContext where, ServiceExec inside, Duration timeout) {
        this.run = run;
        this.where = where;
        this.inside = inside;
        this.timeout = timeout;
        this.name = run.path() == null ? "probe" : Path.of(run.path()).getFileName().toString();
    }

    @Override
    public ProbeResult check() {
        if (closed) {
            return ProbeResult.error("probe stopped");
        }
        if (inside != null) {
            try {
                return judge(inside.exec(run, timeout));
            } catch (IOException e) {
                return ProbeResult.error("cannot run " + name + " in the service: " + e.getMessage());
            }
        }
        Path program;
        Path dir;
        try {
            dir = run.dir() == null || run.dir().isBlank() ? where.workDir()
                    : where.workDir().resolve(run.dir()).normalize();
            program = Executables.resolve(run.path(), dir, where.env().get("PATH"), where.sandbox()::hides);
        } catch (IllegalArgumentException e) {
            return ProbeResult.error(e.getMessage());
        }
        Launcher.Command command = new Launcher.Command(where.sandbox(), program, run.args(), dir, where.env(), null);
        Exec.Result r;
        try {
            r = Launcher.shared().run(command, timeout, relay -> current = relay);
        } catch (IOException e) {
            return ProbeResult.error("cannot run " + name + ": " + e.getMessage());
        } finally {
            current = null;
        }
        return judge(r);
    }

    private ProbeResult judge(Exec.Result r) {
        if (r.timedOut()) {
            return ProbeResult.failure(name + " did not answer within " + seconds(timeout) + " s");
        }
        String out = r.lastLine();
        if (r.exitCode() == 0) {
            return ProbeResult.success(out.isEmpty() ? name + " exited 0" : name + ": " + out);
        }
        return ProbeResult.failure(name + " exited " + r.exitCode() + (out.isEmpty() ? "" : ": " + out));
    }

    @Override
    public void close() {
        closed = true;
        if (inside != null) {
            inside.abortExec();
        }
        Relay relay = current;
        if (relay != null) {
            try {
                relay.signal(true); // its launcher: the check goes with it
            } catch (IOException e) {
                // the launch server is gone, and the check with it
            }
        }
    }

    /** Seconds for humans: {@code 0.2}, {@code 0.601}, {@code 5}, {@code 120}. */
    static String seconds(Duration d) {
        return java.math.BigDecimal.valueOf(d.toNanos(), 9).setScale(3, java.math.RoundingMode.HALF_UP)
                .stripTrailingZeros().toPlainString();
    }
}
