package io.berth.agent.network;

import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** The task's own, existing network namespace. Services run in it; Berth never deletes it. */
public final class JoinedNamespace implements TaskNetwork {
    /** Names of the namespaces Berth creates: a task's, a bridge-mode service's, an agent's hub. */
    private static final Pattern BERTHS = Pattern.compile("berth-([0-9a-f]{12}(-.+)?|hub-.+|nursery)");
    private final String path;

    private JoinedNamespace(String path) {
        this.path = path;
    }

    public static Future<TaskNetwork> join(Vertx vertx, String path) {
        return vertx.executeBlocking(() -> new JoinedNamespace(check(path)), false);
    }

    /** The normalized path of an existing namespace file, or a {@link NetworkException} saying why it is not one. */
    static String check(String path) {
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
        Path normal = p.normalize();
        if (normal.getParent() != null && normal.getParent().equals(Path.of("/run/netns"))
                && BERTHS.matcher(normal.getFileName().toString()).matches()) {
            throw new NetworkException("network namespace " + path + " is one Berth created (for another task or "
                    + "the bridge hub); a task can only join a namespace of its own");
        }
        return normal.toString();
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
