package io.berth.agent.runtime.container;

import io.berth.agent.journal.StateDirLock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the containers Berth left behind by their labels and removes them (killing what still runs, with
 * their anonymous volumes): at a service's end, what a prototype trusted with the engine left of it
 * ({@link #removeLeftovers}); at agent start, orphans. A container is an orphan when the state directory it is labelled with is this
 * agent's (called at start, before any task), or belongs to no live agent: the directory is gone, or its lock
 * is free. A directory that exists without a lock file is left alone: it is nobody's for sure.
 */
public final class ContainerReaper {
    private static final System.Logger LOG = System.getLogger(ContainerReaper.class.getName());

    private final Vertx vertx;
    private final EngineClient engine;
    private final Path ownStateDir;
    private final java.util.Set<String> reattached;

    /** @param reattached task ids whose containers the agent of {@code ownStateDir} took over: they stay */
    ContainerReaper(Vertx vertx, EngineClient engine, Path ownStateDir, java.util.Set<String> reattached) {
        this.vertx = vertx;
        this.engine = engine;
        this.ownStateDir = ownStateDir;
        this.reattached = java.util.Set.copyOf(reattached);
    }

    /**
     * Removes the containers labelled as {@code service}'s of {@code taskId} (generation {@code generation}) by the
     * agent of {@code stateDir}: called once that service is gone, so whatever is left (a stack whose down was cut
     * short or failed) would otherwise outlive the task. One line per container removed.
     */
    public static Future<List<String>> removeLeftovers(EngineClient engine, Path stateDir, String taskId,
                                                       String service, long generation) {
        return engine.listLabelled(ContainerSpec.LABEL_TASK + "=" + taskId).compose(containers -> {
            List<Future<String>> removals = new ArrayList<>();
            for (Object o : containers) {
                JsonObject c = (JsonObject) o;
                JsonObject labels = c.getJsonObject("Labels", new JsonObject());
                if (service.equals(labels.getString(ContainerSpec.LABEL_SERVICE))
                        && Long.toString(generation).equals(labels.getString(ContainerSpec.LABEL_GENERATION))
                        && stateDir.toString().equals(labels.getString(ContainerSpec.LABEL_STATE_DIR))) {
                    removals.add(engine.remove(c.getString("Id")).map(v -> name(c) + " (" + c.getString("State", "?")
                            + ")"));
                }
            }
            return Future.all(removals).map(all -> all.<String>list());
        });
    }

    /** One line per container removed. */
    Future<List<String>> reap() {
        return engine.listLabelled(ContainerSpec.LABEL_STATE_DIR)
                .compose(containers -> vertx.executeBlocking(() -> orphans(containers), false))
                .compose(orphans -> {
                    List<String> done = new ArrayList<>();
                    List<Future<Void>> removals = new ArrayList<>();
                    for (JsonObject c : orphans) {
                        JsonObject labels = c.getJsonObject("Labels", new JsonObject());
                        String name = name(c);
                        removals.add(engine.remove(c.getString("Id")).onSuccess(v -> {
                            String line = "task " + labels.getString(ContainerSpec.LABEL_TASK) + ": removed container "
                                    + name + " (service " + labels.getString(ContainerSpec.LABEL_SERVICE) + ", "
                                    + c.getString("State", "?") + ")";
                            LOG.log(Level.WARNING, "reaped after restart: {0}", line);
                            synchronized (done) {
                                done.add(line);
                            }
                        }));
                    }
                    return Future.join(removals).transform(ar -> ar.succeeded() ? Future.succeededFuture(done)
                            : Future.failedFuture(ar.cause()));
                });
    }

    /** Blocking: looks at the state directories' locks. */
    private List<JsonObject> orphans(JsonArray containers) {
        Map<String, Boolean> deadDirs = new HashMap<>();
        List<JsonObject> orphans = new ArrayList<>();
        for (Object o : containers) {
            JsonObject c = (JsonObject) o;
            JsonObject labels = c.getJsonObject("Labels", new JsonObject());
            String dir = labels.getString(ContainerSpec.LABEL_STATE_DIR);
            if (dir != null && Path.of(dir).equals(ownStateDir)
                    && reattached.contains(labels.getString(ContainerSpec.LABEL_TASK))) {
                continue;
            }
            if (dir != null && deadDirs.computeIfAbsent(dir, this::nobodysDir)) {
                orphans.add(c);
            }
        }
        return orphans;
    }

    private boolean nobodysDir(String dir) {
        Path path = Path.of(dir);
        if (path.equals(ownStateDir)) {
            return true;
        }
        if (!Files.isDirectory(path)) {
            return true;
        }
        if (!StateDirLock.isStateDir(path)) {
            return false;
        }
        try {
            var lock = StateDirLock.tryAcquire(path);
            if (lock.isEmpty()) {
                return false;
            }
            lock.get().close();
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static String name(JsonObject c) {
        JsonArray names = c.getJsonArray("Names", new JsonArray());
        String n = names.isEmpty() ? c.getString("Id", "?") : names.getString(0);
        return n.startsWith("/") ? n.substring(1) : n;
    }
}
