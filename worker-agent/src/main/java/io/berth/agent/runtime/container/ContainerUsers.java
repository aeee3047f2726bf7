package io.berth.agent.runtime.container;

import io.berth.agent.sandbox.SandboxSettings;
import io.berth.events.config.RunSpec;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * Who a container's processes are on the host — the operator's rule, the same as for process services: never the
 * host's root unless the operator says so. A container runs
 * <ul>
 *   <li>in a <b>user namespace</b> ({@value #USERNS_ENV}{@code =FIRST-LAST} or {@code auto}): its uids 0… are the
 *       host's FIRST… (or a range podman picks from {@code /etc/subuid}'s {@code containers} entry), so root in
 *       the container is an unprivileged host uid and the image's user and {@code run.user} are honoured;</li>
 *   <li>with the <b>operator's permission</b> ({@value #ALLOW_ROOT_ENV}{@code =true}, without a user namespace):
 *       as the image says, root included — the host's root;</li>
 *   <li>otherwise as {@code nobody} ({@value #NOBODY}), whatever the image says; a {@code run.user} is refused,
 *       since without a user namespace it would name a host uid.</li>
 * </ul>
 *
 * @param userns      podman's {@code UsernsMode} ({@code auto} or {@code auto:uidmapping=…}), or null for none
 * @param firstHostId first host uid/gid of an explicit range (0 with {@code auto} or none)
 * @param size        size of the explicit range (0 with {@code auto} or none)
 * @param rootAllowed whether a container without a user namespace may run as the image says, root included
 */
public record ContainerUsers(String userns, long firstHostId, long size, boolean rootAllowed) {
    /** {@code none} (the default), {@code auto}, or {@code FIRST-LAST}: the host uids/gids a container's map onto. */
    public static final String USERNS_ENV = "BERTH_CONTAINER_USERNS";
    /** {@code true}: without a user namespace, a container may run as root (the host's). */
    public static final String ALLOW_ROOT_ENV = "BERTH_CONTAINER_ALLOW_ROOT";
    /** Who a container runs as when neither a user namespace nor the operator lets it be root. */
    static final String NOBODY = "65534:65534";

    public ContainerUsers {
        if (userns == null && (firstHostId != 0 || size != 0)) {
            throw new IllegalArgumentException("a uid range needs a user namespace");
        }
    }

    /** No user namespace: containers run as nobody. */
    public static ContainerUsers nobody() {
        return new ContainerUsers(null, 0, 0, false);
    }

    /** No user namespace, and the operator lets containers run as the image says, root included. */
    public static ContainerUsers hostRootAllowed() {
        return new ContainerUsers(null, 0, 0, true);
    }

    /** A user namespace mapping container uids/gids {@code 0..size-1} onto the host's {@code first…}. */
    public static ContainerUsers mapped(long first, long size) {
        if (first < 1 || size < 1 || first + size - 1 > 0xFFFF_FFFEL) {
            throw new IllegalArgumentException(USERNS_ENV + " must be a range of host uids within 1-4294967294, "
                    + "e.g. 2000000000-2000065535: " + first + "-" + (first + size - 1));
        }
        String map = "0:" + first + ":" + size;
        return new ContainerUsers("auto:uidmapping=" + map + ",gidmapping=" + map, first, size, false);
    }

    /** A user namespace per container with a range podman allocates from {@code /etc/subuid}'s {@code containers}. */
    public static ContainerUsers auto() {
        return new ContainerUsers("auto", 0, 0, false);
    }

    /** From {@value #USERNS_ENV} and {@value #ALLOW_ROOT_ENV}; unset: no user namespace, nobody. */
    public static ContainerUsers fromEnvironment(Map<String, String> env) {
        String userns = env.getOrDefault(USERNS_ENV, "none").strip();
        String allow = env.getOrDefault(ALLOW_ROOT_ENV, "false").strip();
        if (!allow.equals("true") && !allow.equals("false")) {
            throw new IllegalArgumentException(ALLOW_ROOT_ENV + " must be true or false: " + allow);
        }
        if (userns.isEmpty() || userns.equals("none")) {
            return allow.equals("true") ? hostRootAllowed() : nobody();
        }
        if (userns.equals("auto")) {
            return auto();
        }
        String[] ends = userns.split("-");
        try {
            long first = Long.parseLong(ends[0].strip());
            return mapped(first, Long.parseLong(ends[1].strip()) - first + 1);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(USERNS_ENV + " must be none, auto or FIRST-LAST (host uids, e.g. "
                    + "2000000000-2000065535): " + userns);
        }
    }

    /** Refuses a range that shares host uids with the tasks' own ({@code BERTH_UID_RANGE}): they would share files. */
    void checkApart(SandboxSettings sandbox) {
        long taskFirst = sandbox.firstUid();
        long taskLast = taskFirst + sandbox.uidCount() - 1;
        if (size > 0 && firstHostId <= taskLast && taskFirst <= firstHostId + size - 1) {
            throw new IllegalArgumentException(USERNS_ENV + "=" + firstHostId + "-" + (firstHostId + size - 1)
                    + " overlaps the tasks' uids (BERTH_UID_RANGE=" + taskFirst + "-" + taskLast + ")");
        }
    }

    /**
     * Puts who the container runs as on its create request ({@code User}, and {@code HostConfig.UsernsMode}).
     *
     * @throws IllegalArgumentException naming {@code run.user} and the settings, when it would be a host uid
     */
    void apply(RunSpec run, JsonObject spec, JsonObject hostConfig) {
        String runUser = run == null || run.user() == null || run.user().isBlank() ? null : run.user();
        if (userns != null) {
            hostConfig.put("UsernsMode", userns);
            // sysfs cannot be mounted from a user namespace that does not own the (task's) network namespace
            hostConfig.put("Tmpfs", new JsonObject().put("/sys", "ro,nosuid,nodev,noexec"));
        } else if (!rootAllowed) {
            if (runUser != null) {
                throw new IllegalArgumentException("run.user '" + runUser + "': containers on this worker have no "
                        + "user namespace, so their users are the host's, and they run as nobody; the operator may set "
                        + USERNS_ENV + " (a user namespace) or " + ALLOW_ROOT_ENV + "=true");
            }
            spec.put("User", NOBODY);
            return;
        }
        if (runUser != null) {
            spec.put("User", runUser);
        }
    }

    /** What containers run as, for the agent's start-up log. */
    public String describe() {
        if (userns == null) {
            return rootAllowed ? "containers run as their image says, root included (" + ALLOW_ROOT_ENV + "=true)"
                    : "containers run as nobody (no user namespace; " + USERNS_ENV + " or " + ALLOW_ROOT_ENV
                    + " change that)";
        }
        return size > 0 ? "containers run in a user namespace: their uids 0-" + (size - 1) + " are the host's "
                + firstHostId + "-" + (firstHostId + size - 1)
                : "containers run in a user namespace podman allocates from /etc/subuid (containers)";
    }
}
