package io.berth.agent.runtime;

import io.berth.agent.StateLayout;
import io.berth.agent.os.FileTrees;
import io.berth.agent.os.ServiceUser;
import io.berth.agent.sandbox.Sandbox;
import io.berth.events.config.InputSpec;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A service's scratch directory, {@code <stateDir>/tasks/<task-hash>/<service>/}, owned by the service
 * user. Its working directory and task inputs live inside it; nothing a config says can point outside.
 * Blocking methods: call them from a worker thread.
 */
public final class ServiceWorkspace {
    private static final Set<PosixFilePermission> TRAVERSE_ONLY = PosixFilePermissions.fromString("rwx--x--x");
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    private final Path dir;
    private final ServiceUser owner;

    private ServiceWorkspace(Path dir, ServiceUser owner) {
        this.dir = dir;
        this.owner = owner;
    }

    /** Where the scratch directory of {@code service} of {@code taskId} lives. */
    public static Path location(Path stateDir, String taskId, String service) {
        return StateLayout.of(stateDir).workspace(taskId, service);
    }

    /**
     * Creates an empty scratch directory (a leftover one is wiped first).
     *
     * @param owner null keeps the agent's user as owner
     */
    public static ServiceWorkspace create(Path stateDir, String taskId, String service, ServiceUser owner)
            throws IOException {
        Path dir = location(stateDir, taskId, service);
        makeTaskDir(stateDir, dir.getParent());
        ServiceWorkspace ws = new ServiceWorkspace(dir, owner);
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException leftover) {
            FileTrees.delete(dir);
            Files.createDirectory(dir);
        }
        Files.setPosixFilePermissions(dir, PRIVATE);
        ws.own(dir);
        return ws;
    }

    /**
     * The task's directory, which its services' users must be able to walk through to their own and list nothing on
     * the way; made by the task's first service (the way down to it checked then, once per task, not per service).
     */
    private static void makeTaskDir(Path stateDir, Path taskDir) throws IOException {
        try {
            Files.createDirectory(taskDir, PosixFilePermissions.asFileAttribute(TRAVERSE_ONLY));
        } catch (FileAlreadyExistsException madeByAnotherService) {
            return;
        } catch (NoSuchFileException noTasksYet) {
            Files.createDirectories(taskDir);
        }
        allowTraverse(stateDir);
        Files.setPosixFilePermissions(StateLayout.of(stateDir).tasks(), TRAVERSE_ONLY);
        Files.setPosixFilePermissions(taskDir, TRAVERSE_ONLY);
    }

    /** The scratch directory a crashed agent created for {@code service}, as it is (a re-attached service uses it). */
    public static ServiceWorkspace existing(Path stateDir, String taskId, String service, ServiceUser owner) {
        return new ServiceWorkspace(location(stateDir, taskId, service), owner);
    }

    private static void allowTraverse(Path p) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
            perms.add(PosixFilePermission.OTHERS_EXECUTE);
            perms.add(PosixFilePermission.GROUP_EXECUTE);
            Files.setPosixFilePermissions(p, perms);
        }
    }

    public Path dir() {
        return dir;
    }

    /**
     * Resolves {@code run.dir} inside the scratch directory and creates it. Null or "." is the scratch
     * directory itself.
     */
    public Path workDir(String runDir) throws IOException {
        if (runDir == null || runDir.isBlank() || runDir.equals(".")) {
            return dir;
        }
        Path rel = Path.of(runDir);
        if (rel.isAbsolute()) {
            throw new IllegalArgumentException("run.dir '" + runDir + "' must be relative to the service directory");
        }
        Path resolved = dir.resolve(rel).normalize();
        if (!resolved.startsWith(dir) || containsDotDot(rel)) {
            throw new IllegalArgumentException("run.dir '" + runDir + "' escapes the service directory");
        }
        mkdirsOwned(resolved);
        return resolved;
    }

    /**
     * Where each listed input appears: {@code <dir>/<input path or name>}, bound read-only there by the sandbox (a
     * mount point is made for it when {@code create}).
     *
     * @param taskInputs input name → absolute path on this worker
     */
    public List<Sandbox.Bind> inputBinds(List<InputSpec> inputs, Map<String, String> taskInputs, boolean create)
            throws IOException {
        List<Sandbox.Bind> binds = new ArrayList<>();
        for (InputSpec input : inputs) {
            String name = input.name();
            if (name == null || name.isBlank() || name.contains("/") || name.contains("..")) {
                throw new IllegalArgumentException("invalid input name '" + name + "': it must not contain '/' or '..'");
            }
            String where = input.path() == null || input.path().isBlank() ? name : input.path();
            Path rel = Path.of(where);
            Path target = dir.resolve(rel).normalize();
            if (rel.isAbsolute() || containsDotDot(rel) || !target.startsWith(dir) || target.equals(dir)) {
                throw new IllegalArgumentException("input '" + name + "': path '" + where
                        + "' must be a relative path inside the service directory, without '..'");
            }
            String source = taskInputs.get(name);
            if (source == null) {
                throw new IllegalArgumentException("input '" + name + "' was not provided by the task");
            }
            Path sourcePath = Path.of(source);
            if (!sourcePath.isAbsolute() || !Files.exists(sourcePath)) {
                throw new IllegalArgumentException("input '" + name + "': " + source + " does not exist on this worker");
            }
            if (create) {
                mkdirsOwned(target.getParent());
                if (Files.isDirectory(sourcePath)) {
                    Files.createDirectory(target);
                } else {
                    Files.createFile(target);
                }
            }
            binds.add(new Sandbox.Bind(sourcePath, target));
        }
        return binds;
    }

    /** For an agent that cannot bind (not root): each input as a symlink to the task's artifact. */
    public void linkInputs(List<Sandbox.Bind> binds) throws IOException {
        for (Sandbox.Bind bind : binds) {
            Files.deleteIfExists(bind.target());
            Files.createSymbolicLink(bind.target(), bind.source());
        }
    }

    /** The uid that owns the scratch directory (the task's, for a service a crashed agent launched). */
    public int ownerUid() throws IOException {
        return ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).intValue();
    }

    /** Deletes the scratch directory, never following links. */
    public void remove() throws IOException {
        FileTrees.delete(dir);
    }

    /**
     * Deletes a task's directory with whatever is left in it. Only once none of its services is
     * being created or removed any more (a concurrent launch would lose its parent directory).
     */
    public static void removeTask(Path stateDir, String taskId) throws IOException {
        FileTrees.delete(StateLayout.of(stateDir).task(taskId));
    }

    private void mkdirsOwned(Path target) throws IOException {
        // walk down from the scratch dir so every directory created here belongs to the service user
        Path p = dir;
        for (Path part : dir.relativize(target)) {
            p = p.resolve(part);
            if (Files.isSymbolicLink(p)) {
                throw new IllegalArgumentException(dir.relativize(p) + " is a link; directories must be real");
            }
            if (!Files.isDirectory(p)) {
                Files.createDirectory(p);
                own(p);
            }
        }
    }

    private void own(Path p) throws IOException {
        if (owner != null) {
            Files.setAttribute(p, "unix:uid", owner.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", owner.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    private static boolean containsDotDot(Path rel) {
        for (Path part : rel) {
            if (part.toString().equals("..")) {
                return true;
            }
        }
        return false;
    }
}
