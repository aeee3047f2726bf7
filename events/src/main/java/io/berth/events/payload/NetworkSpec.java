package io.berth.events.payload;

/**
 * The network a task's services live in. {@code mode} is {@code namespace} (default on Linux),
 * {@code bridge} or {@code host}; {@code path} is the namespace path (e.g. {@code /run/netns/berth-…})
 * the task joins, or — in {@code task.started} — the task's existing namespace to run services in.
 */
public record NetworkSpec(String mode, String path) {
    public static final String NAMESPACE = "namespace";
    public static final String BRIDGE = "bridge";
    public static final String HOST = "host";
}
