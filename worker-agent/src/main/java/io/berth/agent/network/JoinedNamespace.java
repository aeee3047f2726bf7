package io.berth.agent.network;

import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.util.List;
import java.util.regex.Pattern;

/** The task's own, existing network namespace. Services run in it; Berth never deletes it. */
public final class JoinedNamespace implements TaskNetwork {
    /** Names of the namespaces Berth creates: a task's, a bridge-mode service's, an agent's hub. */
    private static final Pattern BERTHS = Pattern.compile("berth-([0-9a-f]{12}(-.+)?|hub-.+|nursery)");
    private final String path;

    private JoinedNamespace(String path) {
        this.path = path;
    }

    public static Future<TaskNetwork> join(Vertx vertx, String path, List<Path> joinableDirs) {
        return vertx.executeBlocking(() -> new JoinedNamespace(check(path, joinableDirs)), false);
    }

    /**
     * The path of an existing network namespace file the task may join, or a {@link NetworkException} saying why it
     * may not. The file must lie, once every link is resolved, in a directory the operator lists
     * ({@code BERTH_JOINABLE_NETNS_DIRS}), and be none of the namespaces Berth made (a task's, a bridge-mode
     * service's, a hub, the nursery), the agent's own or the host's — compared by identity (device and inode of the
     * namespace), never by how the path is spelled.
     */
    static String check(String path, List<Path> joinableDirs) {
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw new NetworkException("network namespace path must be absolute: " + path);
        }
        if (!Files.exists(p)) {
            throw new NetworkException("network namespace " + path + " does not exist");
        }
        if (Files.isDirectory(p)) {
            throw new NetworkException(path + " is a directory, not a network namespace");
        }
        if (joinableDirs.isEmpty()) {
            throw new NetworkException("joining the network namespace " + path + " is not allowed on this worker: the "
                    + "operator allows no directory (BERTH_JOINABLE_NETNS_DIRS); leave network.path out and Berth "
                    + "makes the task a namespace of its own");
        }
        try {
            Path real;
            try {
                real = p.toRealPath();
            } catch (IOException magic) { // /proc/PID/ns/net links to no path
                real = p.normalize();
            }
            boolean allowed = false;
            for (Path dir : joinableDirs) {
                allowed |= Files.isDirectory(dir) && real.getParent() != null && real.getParent().equals(dir.toRealPath());
            }
            if (!allowed) {
                throw new NetworkException("network namespace " + path + " (" + real + ") is not in a directory the "
                        + "operator allows tasks to join (BERTH_JOINABLE_NETNS_DIRS: " + joinableDirs + ")");
            }
            Object id = identity(real);
            if (id == null) {
                throw new NetworkException(path + " is not a network namespace");
            }
            String refused = refusedOwner(id);
            if (refused != null) {
                throw new NetworkException("network namespace " + path + " is " + refused + "; a task can only join a "
                        + "namespace of its own");
            }
            return real.toString();
        } catch (IOException e) {
            throw new NetworkException("cannot check network namespace " + path + ": " + e.getMessage());
        }
    }

    /** What a namespace is, by device and inode: what two paths to the same namespace share. */
    private static Object identity(Path nsFile) throws IOException {
        Object dev = Files.getAttribute(nsFile, "unix:dev");
        if (!dev.equals(Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:dev"))) {
            return null; // not on the namespace file system
        }
        return List.of(dev, Files.getAttribute(nsFile, "unix:ino"));
    }

    /** The host's namespace (init's), or null where even root may not look at it (a sandboxed machine's init). */
    private static Object hostNamespace() {
        try {
            return identity(Path.of("/proc/1/ns/net"));
        } catch (IOException e) {
            return null;
        }
    }

    /** Whose namespace {@code id} is, if a task must not join it; null otherwise. */
    private static String refusedOwner(Object id) throws IOException {
        if (id.equals(identity(Path.of("/proc/self/ns/net")))) {
            return "the worker agent's own";
        }
        if (id.equals(hostNamespace())) {
            return "the host's";
        }
        Path run = Path.of("/run/netns");
        if (Files.isDirectory(run)) {
            try (DirectoryStream<Path> all = Files.newDirectoryStream(run, f -> BERTHS.matcher(
                    f.getFileName().toString()).matches())) {
                for (Path made : all) {
                    try {
                        if (id.equals(identity(made))) {
                            return "one Berth made (" + made.getFileName() + ": another task's, or the bridge hub)";
                        }
                    } catch (IOException gone) {
                        // removed meanwhile
                    }
                }
            }
        }
        return null;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public boolean reattachable() {
        return true;
    }

    @Override
    public NetworkSpec spec() {
        return new NetworkSpec(NetworkSpec.NAMESPACE, path);
    }

    @Override
    public Future<Void> release() {
        return Future.succeededFuture();
    }

    @Override
    public String toString() {
        return "joined namespace " + path;
    }
}
