package io.berth.agent.runtime;

import io.berth.agent.supervisor.AgentSettings;
import io.berth.agent.TaskIds;
import io.berth.agent.logs.ServiceLog;
import io.berth.agent.os.ConfinedCommand;
import io.berth.agent.os.Executables;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.ServiceUser;
import io.berth.agent.os.Users;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Runs a service as a plain process: in the task's network namespace, in its own process group, as
 * an unprivileged user, in its scratch directory, with a clean environment, its output in its log.
 */
public final class ProcessRuntime implements ServiceRuntime {
    private final Vertx vertx;
    private final AgentSettings settings;

    public ProcessRuntime(Vertx vertx, AgentSettings settings) {
        this.vertx = vertx;
        this.settings = settings;
    }

    /** Where the log of a service of a task's generation is kept (outlives its scratch directory). */
    public static Path logFile(Path stateDir, String taskId, long generation, String service) {
        return stateDir.resolve("logs").resolve(TaskIds.shortHash(taskId)).resolve("g" + generation)
                .resolve(TaskIds.checkServiceName(service) + ".log");
    }

    @Override
    public Future<ServiceProcess> start(ServiceLaunch launch) {
        Context context = vertx.getOrCreateContext();
        return context.executeBlocking(() -> launch(context, launch), false);
    }

    @Override
    public Future<ServiceProcess> reattach(ServiceLaunch launch, long pid, long startTicks) {
        Context context = vertx.getOrCreateContext();
        return context.executeBlocking(() -> reattachBlocking(context, launch, pid, startTicks), false);
    }

    /** The same user, scratch directory, environment and log as at launch; nothing on disk is touched. */
    private ServiceProcess reattachBlocking(Context context, ServiceLaunch launch, long pid, long startTicks)
            throws IOException {
        String service = launch.service();
        RunSpec run = launch.config().run();
        if (run == null || run.isMessage() || run.path() == null) {
            throw new ServiceStartException(service, "the process runtime re-attaches only to run.path services");
        }
        ServiceUser user = serviceUser(settings, service, run.user());
        ServiceWorkspace workspace = ServiceWorkspace.existing(settings.stateDir(), launch.taskId(), service, user);
        String userName = user != null ? user.name() : System.getProperty("user.name");
        Map<String, String> env = ServiceEnvironment.build(launch.taskId(), service, workspace.dir(), userName,
                launch.config().params());
        ServiceUser switchTo = user == null || user.isRoot() ? null : user;
        ExecContext exec = new ExecContext(launch.netns(), switchTo, workspace.workDir(run.dir()), env);
        ServiceLog log = new ServiceLog(logFile(settings.stateDir(), launch.taskId(), launch.generation(), service));
        var handle = ProcessHandle.of(pid).filter(h -> pid > 1 && ProcessTable.startTicks(pid) == startTicks);
        return new ReattachedProcess(context, pid, startTicks, handle, log, exec, workspace);
    }

    private ServiceProcess launch(Context context, ServiceLaunch launch) {
        String service = launch.service();
        ServiceConfig config = launch.config();
        RunSpec run = config.run();
        if (run == null || run.isMessage() || run.path() == null) {
            throw new ServiceStartException(service, run != null && run.isMessage()
                    ? "prototype services (run: " + run.message() + ") are not supported by the process runtime"
                    : "the process runtime needs run.path");
        }
        ServiceWorkspace workspace = null;
        try {
            ServiceUser user = serviceUser(settings, service, run.user());
            workspace = ServiceWorkspace.create(settings.stateDir(), launch.taskId(), service, user);
            Path workDir = workspace.workDir(run.dir());
            workspace.linkInputs(config.inputs(), launch.taskInputs());
            String userName = user != null ? user.name() : System.getProperty("user.name");
            Map<String, String> env = ServiceEnvironment.build(launch.taskId(), service, workspace.dir(), userName,
                    config.params());
            Path program = Executables.resolve(run.path(), workDir, env.get("PATH"));
            ServiceLog log = new ServiceLog(logFile(settings.stateDir(), launch.taskId(), launch.generation(), service))
                    .create();
            // logs may hold what services print about their secrets: the agent's alone
            java.nio.file.Files.setPosixFilePermissions(settings.stateDir().resolve("logs"),
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            ServiceUser switchTo = user == null || user.isRoot() ? null : user;
            List<String> argv = ConfinedCommand.argv(launch.netns(), switchTo, program.toString(), run.args());
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.path().toFile()))
                    .redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().putAll(env);
            long millis = System.currentTimeMillis();
            long nanos = System.nanoTime();
            Process process = pb.start();
            ExecContext exec = new ExecContext(launch.netns(), switchTo, workDir, env);
            return new LocalServiceProcess(context, process, millis, nanos, log, exec, workspace);
        } catch (IllegalArgumentException e) {
            removeQuietly(workspace);
            throw new ServiceStartException(service, e.getMessage(), e);
        } catch (IOException e) {
            removeQuietly(workspace);
            throw new ServiceStartException(service, "cannot prepare the service: " + describe(e), e);
        } catch (RuntimeException e) {
            removeQuietly(workspace);
            throw e;
        }
    }

    @Override
    public Future<Void> releaseTask(String taskId) {
        return vertx.executeBlocking(() -> {
            ServiceWorkspace.removeTask(settings.stateDir(), taskId);
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

    /**
     * The user a service runs as: {@code requested}, else the agent's default; never root unless the agent
     * allows it. Null means: stay the agent's own user (the agent is not root, so it cannot switch). Blocking.
     */
    public static ServiceUser serviceUser(AgentSettings settings, String service, String requested) throws IOException {
        String name = requested != null && !requested.isBlank() ? requested : settings.defaultUser();
        if (!Users.agentIsRoot()) {
            String self = System.getProperty("user.name");
            if (requested != null && !requested.isBlank() && !requested.equals(self)) {
                throw new ServiceStartException(service, "cannot run as user '" + requested
                        + "': the agent does not run as root, so services run as '" + self + "'");
            }
            return null;
        }
        ServiceUser user = Users.lookup(name)
                .orElseThrow(() -> new ServiceStartException(service, "user '" + name + "' does not exist"));
        if (user.isRoot() && !settings.allowRoot()) {
            throw new ServiceStartException(service, "would run as root (user '" + name
                    + "'), which this agent does not allow; set run.user to an unprivileged user");
        }
        return user;
    }

    private static void removeQuietly(ServiceWorkspace workspace) {
        if (workspace != null) {
            try {
                workspace.remove();
            } catch (IOException ignored) {
                // best effort: the launch already failed, that error is the one to report
            }
        }
    }
}
