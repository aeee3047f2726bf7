package io.berth.agent.runtime.container;

import io.berth.agent.os.Exec;
import io.berth.events.config.RunSpec;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Probe commands inside a running container, through the engine's exec API: one at a time (a probe's), killed by
 * pid when it outlives its timeout or the probe is stopped, since the engine cannot kill an exec instance.
 */
final class ContainerExec {
    private final EngineClient engine;
    private final String containerId;
    private volatile String current;
    private volatile boolean closed;

    ContainerExec(EngineClient engine, String containerId) {
        this.engine = engine;
        this.containerId = containerId;
    }

    /** Runs {@code run} in the container; blocking (a worker thread's), at most {@code timeout}. */
    Exec.Result run(RunSpec run, Duration timeout) throws IOException {
        if (closed) {
            throw new IOException("probe stopped");
        }
        List<String> argv = new ArrayList<>();
        argv.add(run.path());
        argv.addAll(run.args());
        long t0 = System.nanoTime();
        var running = engine.exec(containerId, argv, blankToNull(run.user()), blankToNull(run.dir()),
                execId -> current = execId);
        try {
            // a plain blocking wait: Future.await on a worker thread would suspend the context's ordered tasks
            EngineClient.ExecResult r = running.toCompletionStage().toCompletableFuture()
                    .get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return new Exec.Result(r.exitCode(), r.output(), false, System.nanoTime() - t0);
        } catch (TimeoutException e) {
            kill();
            return new Exec.Result(-1, "", true, System.nanoTime() - t0);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            throw new IOException("interrupted", e);
        } finally {
            current = null;
        }
    }

    /** Stops the command running now, and refuses any later one. */
    void close() {
        closed = true;
        kill();
    }

    /** The engine cannot kill an exec instance; its process is killed by pid (the agent sees the container's). */
    private void kill() {
        String execId = current;
        if (execId == null) {
            return;
        }
        engine.inspectExec(execId).onSuccess(info -> {
            long execPid = info.getLong("Pid", 0L);
            if (execPid > 1 && info.getBoolean("Running", false)) {
                ProcessHandle.of(execPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        });
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
