package io.berth.agent.os;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Turns untrusted task ids and service names into names that are safe on the file system and as
 * network namespace names. Task ids are hashed, never used verbatim, so no id can traverse a path.
 */
public final class TaskIds {
    private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private TaskIds() {}

    /** 12 hex digits of SHA-256 over the task id. */
    public static String shortHash(String taskId) {
        byte[] digest = SHA_256.get().digest(taskId.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 6);
    }

    /** One digest per thread: a task's paths, cgroups and namespace each ask for its hash, and a lookup of the
     *  algorithm (a provider search and a reflective construction) costs more than the hash itself. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    /** Name of the network namespace Berth creates for a task: {@code berth-<hash>}. */
    public static String namespaceName(String taskId) {
        return "berth-" + shortHash(taskId);
    }

    /** Rejects service names that could not be used as a directory name. */
    public static String checkServiceName(String name) {
        if (name == null || !SERVICE_NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("invalid service name '" + name
                    + "': use letters, digits, '.', '_' and '-' (at most 63, no '..')");
        }
        return name;
    }
}
