package io.berth.agent.runtime;

import io.berth.agent.os.Executables;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.sandbox.Launcher;
import io.berth.agent.sandbox.Relay;
import io.berth.events.config.RunSpec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs a service as a plain process, through {@code berth-launch}: in the task's network namespace, in a PID and mount
 * namespace and cgroup of its own, as the task's own user, in its scratch directory, with a clean environment, its
 * output in its log.
 */
public final class ProcessRuntime implements ServiceRuntime {
    private final Vertx vertx;
    private final ServiceSetup setup;

    public ProcessRuntime(Vertx vertx, ServiceSetup setup) {
        this.vertx = vertx;
        this.setup = setup;
    }

    @Override
    public Future<ServiceProcess> start(ServiceLaunch launch) {
        return start(launch, Future.succeededFuture(launch.netns()));
    }

    /**
     * The service's identity, scratch directory, log and cgroup are set up while its network is made (they do not
     * depend on it); it is launched once both are there. Its network failing, that setup is removed.
     */
    @Override
    public Future<ServiceProcess> start(ServiceLaunch launch, Future<String> netns) {
        Context context = vertx.getOrCreateContext();
        Future<ServiceSetup.Prepared> prepared = context.executeBlocking(() -> prepare(launch), false);
        return Future.join(prepared, netns).transform(ar -> {
            if (ar.succeeded()) {
                ServiceSetup.Prepared inNetwork = prepared.result().inNetwork(netns.result());
                return context.executeBlocking(() -> launch(context, launch, inNetwork), false);
            }
            if (prepared.failed()) {
                return Future.failedFuture(netns.failed() ? netns.cause() : prepared.cause());
            }
            return context.executeBlocking(() -> {
                removeQuietly(prepared.result());
                return null;
            }, false).transform(removed -> Future.failedFuture(netns.cause()));
        });
    }

    @Override
    public Future<ServiceProcess> reattach(ServiceLaunch launch, long pid, long startTicks) {
        Context context = vertx.getOrCreateContext();
        return context.executeBlocking(() -> reattachBlocking(context, launch, pid, startTicks), false);
    }

    /** The same identity, scratch directory, cgroup and log as at launch; nothing on disk is touched. */
    private ServiceProcess reattachBlocking(Context context, ServiceLaunch launch, long pid, long startTicks)
            throws IOException {
        RunSpec run = runOf(launch);
        ServiceSetup.Prepared prepared = setup.existing(launch, run.user(), run.dir(), launch.config().params(),
                Map.of());
        var handle = ProcessHandle.of(pid).filter(h -> pid > 1 && ProcessTable.startTicks(pid) == startTicks);
        return new ReattachedProcess(context, pid, startTicks, handle, prepared);
    }

    private static RunSpec runOf(ServiceLaunch launch) {
        RunSpec run = launch.config().run();
        if (run == null || run.isMessage() || run.path() == null) {
            throw new ServiceStartException(launch.service(), run != null && run.isMessage()
                    ? "prototype services (run: " + run.message() + ") are not supported by the process runtime"
                    : "the process runtime needs run.path");
        }
        return run;
    }

    private ServiceSetup.Prepared prepare(ServiceLaunch launch) {
        RunSpec run = runOf(launch);
        try {
            return setup.create(launch, run.user(), run.dir(), launch.config().params(), Map.of());
        } catch (IllegalArgumentException e) {
            throw new ServiceStartException(launch.service(), e.getMessage(), e);
        } catch (IOException e) {
            throw new ServiceStartException(launch.service(), "cannot prepare the service: " + describe(e), e);
        }
    }

    private ServiceProcess launch(Context context, ServiceLaunch launch, ServiceSetup.Prepared prepared) {
        String service = launch.service();
        RunSpec run = runOf(launch);
        try {
            Path program = Executables.resolve(run.path(), prepared.exec().workDir(),
                    prepared.exec().env().get("PATH"));
            prepared = prepared.reaching(launch, program);
            ExecContext exec = prepared.exec();
            long millis = System.currentTimeMillis();
            long nanos = System.nanoTime();
            Relay relay = Launcher.shared().startService(new Launcher.Command(exec.sandbox(), program,
                    run.args(), exec.workDir(), exec.env(), null), prepared.log().path());
            return new LocalServiceProcess(context, relay, millis, nanos, prepared);
        } catch (IllegalArgumentException e) {
            removeQuietly(prepared);
            throw new ServiceStartException(service, e.getMessage(), e);
        } catch (IOException e) {
            removeQuietly(prepared);
            throw new ServiceStartException(service, "cannot prepare the service: " + describe(e), e);
        } catch (RuntimeException e) {
            removeQuietly(prepared);
            throw e;
        }
    }

    @Override
    public Future<Void> releaseTask(String taskId) {
        return vertx.executeBlocking(() -> {
            setup.releaseTask(taskId);
            return null;
        }, false);
    }

    /** What went wrong with a file, in words: Java's file exceptions carry only the path. */
    public static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory: " + e.getMessage();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + e.getMessage();
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return "already exists: " + e.getMessage();
        }
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason() + ": " + fse.getFile();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    static void removeQuietly(ServiceSetup.Prepared prepared) {
        if (prepared != null) {
            try {
                prepared.remove();
            } catch (IOException ignored) {
                // best effort: the launch already failed, that error is the one to report
            }
        }
    }
}
