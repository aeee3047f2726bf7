package io.berth.agent.network;

import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;

/** The task's own, existing network namespace. Services run in it; Berth never deletes it. */
public final class JoinedNamespace implements TaskNetwork {
    private final String path;

    private JoinedNamespace(String path) {
        this.path = path;
    }

    public static Future<TaskNetwork> join(Vertx vertx, String path) {
        return vertx.executeBlocking(() -> {
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
            return new JoinedNamespace(p.normalize().toString());
        }, false);
    }

    @Override
    public String path() {
        return path;
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
