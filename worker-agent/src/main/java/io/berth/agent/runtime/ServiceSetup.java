package io.berth.agent.runtime;

import io.berth.agent.StateLayout;
import io.berth.agent.AgentSettings;
import io.berth.agent.logs.ServiceLog;
import io.berth.agent.os.ServiceUser;
import io.berth.agent.os.Users;
import io.berth.agent.sandbox.Cgroups;
import io.berth.agent.sandbox.Launcher;
import io.berth.agent.sandbox.Sandbox;
import io.berth.agent.sandbox.ServiceCgroup;
import io.berth.agent.sandbox.TaskIdentities;
import io.berth.events.config.ResourceLimits;
import io.berth.events.config.ServiceConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one setup step of a service that runs on this machine (a process, or a prototype's messages): the identity it
 * runs as, its scratch directory, its inputs, its environment, its log, its cgroup — put together as the
 * {@link Sandbox} every program of it starts in. One per agent; blocking methods.
 */
public final class ServiceSetup {
    private static final System.Logger LOG = System.getLogger(ServiceSetup.class.getName());
    /** The most the launcher copies to a log at once. */
    private static final long LOG_WRITE_BYTES = 64 << 10;
    private final AgentSettings settings;
    private final TaskIdentities identities;
    private final Cgroups cgroups;
    private final boolean privileged;
    /** Why services share the host's /tmp, or null: each task has its own. */
    private final String tmpSharedWithHost;
    /** The files of each live task (and user its services run as) that its services see in place of the host's. */
    private final ConcurrentHashMap<TaskUser, Sandbox.TaskFiles> taskFiles = new ConcurrentHashMap<>();

    private record TaskUser(String taskId, int uid) {}

    public ServiceSetup(AgentSettings settings) {
        this.settings = settings;
        this.privileged = Users.agentIsRoot();
        this.tmpSharedWithHost = tmpSharedWithHost(settings.stateDir(), privileged);
        this.identities = privileged ? new TaskIdentities(settings.sandbox()) : null;
        this.cgroups = privileged ? Cgroups.forStateDir(settings.stateDir()) : Cgroups.none();
    }

    /** A service set up to be started: where it runs, its scratch directory, its log, its cgroup. */
    public record Prepared(ServiceWorkspace workspace, ExecContext exec, ServiceLog log, ServiceCgroup cgroup) {
        /** The same setup, run in network namespace {@code path} (null: the host network). */
        public Prepared inNetwork(String path) {
            return new Prepared(workspace, exec.inNetwork(path), log, cgroup);
        }

        /**
         * The same setup, with the host's /tmp, /var/tmp and /run/lock instead of the task's own: for a service whose
         * program lies in one of them (a checkout under /tmp, say), which it could not run otherwise. It then shares
         * them with the host and with every other such service, as processes outside a sandbox do.
         */
        public Prepared withHostTmp() {
            return new Prepared(workspace, exec.withHostTmp(), log, cgroup);
        }

        /**
         * This setup, or {@link #withHostTmp()} when one of {@code needed} lies in the host's temporary directories
         * (said in the agent's log, as the reason {@code launch}'s service shares them).
         */
        public Prepared reaching(ServiceLaunch launch, Path... needed) {
            for (Path path : needed) {
                if (path != null && exec.sandbox().hides(path)) {
                    LOG.log(System.Logger.Level.WARNING, "task {0} service {1}: {2} lies in the host''s temporary "
                            + "directories, so the service sees those instead of its task''s own", launch.taskId(),
                            launch.service(), path);
                    return withHostTmp();
                }
            }
            return this;
        }

        /** Removes the scratch directory and the cgroup (killing what is left in it); idempotent. */
        public void remove() throws IOException {
            try {
                cgroup.remove();
            } finally {
                workspace.remove();
            }
        }
    }

    /**
     * Sets up {@code launch}'s service anew (a leftover scratch directory or cgroup of the same name is removed).
     *
     * @param runUser  the config's {@code run.user}, or null
     * @param runDir   the config's {@code run.dir} (the working directory), or null
     * @param extraEnv variables next to the config's params (a prototype's)
     * @param params   the environment the config asks for
     */
    public Prepared create(ServiceLaunch launch, String runUser, String runDir, Map<String, Object> params,
                           Map<String, String> extraEnv) throws IOException {
        return create(launch, userFor(launch.taskId(), launch.service(), runUser, null), runDir, params, extraEnv);
    }

    /**
     * Sets up a service the operator trusts with root (a prototype granted the container engine,
     * {@code BERTH_ENGINE_PROTOTYPES}): it still gets its own PID, mount and IPC namespaces, cgroup and no new
     * privileges.
     */
    public Prepared createAsRoot(ServiceLaunch launch, Map<String, String> extraEnv) throws IOException {
        ServiceUser root = privileged ? Users.lookup("root").orElseThrow(() -> new IOException("no root account"))
                : null;
        return create(launch, root, null, Map.of(), extraEnv);
    }

    private Prepared create(ServiceLaunch launch, ServiceUser user, String runDir, Map<String, Object> params,
                            Map<String, String> extraEnv) throws IOException {
        String service = launch.service();
        ServiceWorkspace workspace = ServiceWorkspace.create(settings.stateDir(), launch.taskId(), service, user);
        ServiceCgroup cgroup = null;
        try {
            Path workDir = workspace.workDir(runDir);
            List<Sandbox.Bind> inputs = workspace.inputBinds(launch.config().inputs(), launch.taskInputs(), true);
            if (!privileged) {
                workspace.linkInputs(inputs);
            }
            ServiceLog log = ServiceLog.create(StateLayout.of(settings.stateDir()), launch.taskId(),
                    launch.generation(), service);
            cgroup = cgroups.create(cgroupName(launch), limits(launch.config()));
            Sandbox sandbox = sandbox(launch, user, cgroup, privileged ? inputs : List.of());
            return new Prepared(workspace, new ExecContext(sandbox, workDir,
                    environment(launch, user, workspace, params, extraEnv)), log, cgroup);
        } catch (IOException | RuntimeException e) {
            try {
                if (cgroup != null) {
                    cgroup.remove();
                }
                workspace.remove();
            } catch (IOException ignored) {
                // the setup failed already: that error is the one to report
            }
            throw e;
        }
    }

    /** The setup a crashed agent made for {@code launch}'s service, taken over as it is (nothing is created). */
    public Prepared existing(ServiceLaunch launch, String runUser, String runDir, Map<String, Object> params,
                             Map<String, String> extraEnv) throws IOException {
        String service = launch.service();
        ServiceWorkspace owned = ServiceWorkspace.existing(settings.stateDir(), launch.taskId(), service, null);
        ServiceUser user = userFor(launch.taskId(), service, runUser, privileged ? owned.ownerUid() : null);
        ServiceWorkspace workspace = ServiceWorkspace.existing(settings.stateDir(), launch.taskId(), service, user);
        Path workDir = workspace.workDir(runDir);
        List<Sandbox.Bind> inputs = workspace.inputBinds(launch.config().inputs(), launch.taskInputs(), false);
        ServiceCgroup cgroup = cgroups.existing(cgroupName(launch));
        ServiceLog log = new ServiceLog(StateLayout.of(settings.stateDir()).log(launch.taskId(),
                launch.generation(), service));
        Sandbox sandbox = sandbox(launch, user, cgroup, privileged ? inputs : List.of());
        return new Prepared(workspace, new ExecContext(sandbox, workDir,
                environment(launch, user, workspace, params, extraEnv)), log, cgroup);
    }

    /** Gives back what the whole task held (its uid, its directory); once every service of it is gone. */
    public void releaseTask(String taskId) throws IOException {
        taskFiles.keySet().removeIf(k -> k.taskId().equals(taskId));
        ServiceWorkspace.removeTask(settings.stateDir(), taskId);
        if (identities != null) {
            identities.release(taskId);
        }
    }

    private static String cgroupName(ServiceLaunch launch) {
        return Cgroups.serviceName(launch.taskId(), launch.generation(), launch.service());
    }

    private Sandbox sandbox(ServiceLaunch launch, ServiceUser user, ServiceCgroup cgroup, List<Sandbox.Bind> inputs)
            throws IOException {
        Sandbox.TaskFiles files = user == null ? null : taskFiles(launch.taskId(), user);
        // the agent rotates a log past half its cap into its one older part: held at half the cap and one write,
        // the two never hold more than the cap and 64 KiB
        long logLimit = settings.sandbox().logCapBytes() / 2 + LOG_WRITE_BYTES;
        return new Sandbox(launch.netns(), user, files, cgroup, inputs, logLimit,
                settings.sandbox().servicesDieWithAgent(), null);
    }

    /**
     * The files {@code taskId}'s services running as {@code user} see in place of the host's, made by the first of
     * them to be set up; the others, set up at the same time, wait for them (a directory or file they would find
     * half-made — not yet its owner's, or renamed over — fails their launch).
     */
    private Sandbox.TaskFiles taskFiles(String taskId, ServiceUser user) throws IOException {
        try {
            return taskFiles.computeIfAbsent(new TaskUser(taskId, user.uid()), k -> {
                try {
                    return makeTaskFiles(taskId, user);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private Sandbox.TaskFiles makeTaskFiles(String taskId, ServiceUser user) throws IOException {
        StateLayout layout = StateLayout.of(settings.stateDir());
        Path passwd = null;
        Path group = null;
        if (isTaskIdentity(user)) {
            // beside the services' directories, under a name no service can have (names start with a letter or digit)
            Path accounts = layout.accounts(taskId);
            try {
                Files.createDirectory(accounts);
            } catch (FileAlreadyExistsException takenOver) {
                // a crashed agent's, with its files
            }
            passwd = accountFile(accounts.resolve("passwd"), Path.of("/etc/passwd"), user.name() + ":x:"
                    + user.uid() + ":" + user.gid() + ":Berth task:/nonexistent:/usr/sbin/nologin");
            group = accountFile(accounts.resolve("group"), Path.of("/etc/group"),
                    user.name() + ":x:" + user.gid() + ":");
        }
        Path tmp = tmpSharedWithHost == null ? privateDir(layout.tmp(taskId, user.uid()), user) : null;
        return new Sandbox.TaskFiles(passwd, group, tmp);
    }

    /** {@code dir}, {@code user}'s alone (a crashed agent's is taken over as it is). */
    private static Path privateDir(Path dir, ServiceUser user) throws IOException {
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwx------")));
        } catch (FileAlreadyExistsException takenOver) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw takenOver;
            }
            return dir;
        }
        Files.setAttribute(dir, "unix:uid", user.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:gid", user.gid(), LinkOption.NOFOLLOW_LINKS);
        return dir;
    }

    /**
     * Why services here see the host's temporary directories, or null when each task gets its own: the state
     * directory, where the task's would live, is itself under one of them (it would be hidden from the services).
     */
    private static String tmpSharedWithHost(Path stateDir, boolean privileged) {
        if (!privileged) {
            return "the agent is not root";
        }
        Path real;
        try {
            real = stateDir.toRealPath();
        } catch (IOException e) {
            real = stateDir.toAbsolutePath().normalize();
        }
        for (Path shared : Sandbox.SHARED_TMP) {
            if (real.startsWith(shared)) {
                return "the state directory " + stateDir + " is under " + shared;
            }
        }
        return null;
    }

    private boolean isTaskIdentity(ServiceUser user) {
        int first = settings.sandbox().firstUid();
        return user.uid() >= first && user.uid() < first + settings.sandbox().uidCount();
    }

    /**
     * The host's account file with the task's account added, so its uid has a name (initdb asks for one). Published
     * once and never replaced: a task's services are set up at once, and a file renamed over while a launcher
     * bind-mounts it makes that mount fail (ENOENT), so the first one written stays and the others are dropped.
     */
    static Path accountFile(Path file, Path host, String line) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            String base = Files.readString(host);
            Files.writeString(tmp, base + (base.endsWith("\n") || base.isEmpty() ? "" : "\n") + line + "\n");
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.createLink(file, tmp); // link(2): only if absent
        } catch (FileAlreadyExistsException publishedBefore) {
            // by another service of the task, or by a crashed agent: that one stays
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    private Map<String, String> environment(ServiceLaunch launch, ServiceUser user, ServiceWorkspace workspace,
                                            Map<String, Object> params, Map<String, String> extraEnv) {
        String userName = user != null ? user.name() : System.getProperty("user.name");
        Map<String, String> env = new LinkedHashMap<>(ServiceEnvironment.build(launch.taskId(), launch.service(),
                workspace.dir(), userName, params));
        env.putAll(extraEnv);
        return env;
    }

    /**
     * Who the service runs as: the task's own uid; or the host account its config names in {@code run.user}, only if
     * the operator allows that account ({@code BERTH_ALLOWED_USERS}). Null: the agent's own user (it is not root).
     *
     * @param reclaimUid the uid a crashed agent gave the task (when taking it over), else null
     */
    private ServiceUser userFor(String taskId, String service, String runUser, Integer reclaimUid) throws IOException {
        boolean named = runUser != null && !runUser.isBlank();
        if (!privileged) {
            String self = System.getProperty("user.name");
            if (named && !runUser.equals(self)) {
                throw new ServiceStartException(service, "cannot run as user '" + runUser
                        + "': the agent does not run as root, so services run as '" + self + "'");
            }
            return null;
        }
        if (named) {
            if (!settings.sandbox().allowedUsers().contains(runUser)) {
                Object allowed = settings.sandbox().allowedUsers().isEmpty() ? "none"
                        : String.join(", ", settings.sandbox().allowedUsers());
                throw new ServiceStartException(service, "run.user '" + runUser + "' is not allowed on this worker "
                        + "(the operator allows " + allowed + " in BERTH_ALLOWED_USERS); leave run.user out and the "
                        + "service runs as its task's own user");
            }
            ServiceUser user = Users.lookup(runUser)
                    .orElseThrow(() -> new ServiceStartException(service, "run.user '" + runUser + "' does not exist"));
            if (user.isRoot() && !settings.allowRoot()) {
                throw new ServiceStartException(service, "run.user '" + runUser + "' is root, which this agent does "
                        + "not allow");
            }
            return user;
        }
        return reclaimUid != null ? identities.reclaim(taskId, reclaimUid) : identities.forTask(taskId);
    }

    /** Whether an agent here makes sandboxes (it is root), for the start-up log: what it will enforce. */
    public String describe() {
        if (!privileged) {
            return "not root: services run as the agent's user, without PID namespace, cgroup or uid of their own";
        }
        return "sandbox: a uid per task from " + settings.sandbox().firstUid() + "-"
                + (settings.sandbox().firstUid() + settings.sandbox().uidCount() - 1)
                + ", a PID, mount and IPC namespace per service, "
                + (tmpSharedWithHost == null ? "the task's own /tmp, "
                        : "the host's /tmp (" + tmpSharedWithHost + "), ")
                + cgroups.describe() + "; launcher "
                + Launcher.shared().binary();
    }

    private Cgroups.Limits limits(ServiceConfig config) {
        ResourceLimits r = config.resources();
        Long pids = r != null && r.pids() != null ? r.pids() : (long) settings.sandbox().pidsLimit();
        return new Cgroups.Limits(pids, r == null ? null : r.memoryBytes(), r == null ? null : r.cpus());
    }
}
