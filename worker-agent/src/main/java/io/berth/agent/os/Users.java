package io.berth.agent.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** Looks users up through NSS ({@code getent passwd}), so LDAP/sssd users work as well as local ones. */
public final class Users {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\\$?");
    private static final Map<String, ServiceUser> CACHE = new ConcurrentHashMap<>();
    private static volatile Integer agentUid;

    private Users() {}

    /** Resolves a user name (or numeric uid). Blocking. */
    public static Optional<ServiceUser> lookup(String name) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        ServiceUser cached = CACHE.get(name);
        if (cached != null) {
            return Optional.of(cached);
        }
        Exec.Result r = Exec.run(List.of(Tools.GETENT, "passwd", name), Duration.ofSeconds(10));
        if (r.exitCode() == 2) {
            return Optional.empty();
        }
        if (!r.ok()) {
            throw new IOException("getent passwd " + name + " failed (exit " + r.exitCode() + "): " + r.oneLine());
        }
        String[] f = r.output().strip().split("\n")[0].split(":");
        if (f.length < 4) {
            throw new IOException("unexpected getent passwd output for " + name + ": " + r.oneLine());
        }
        ServiceUser user = new ServiceUser(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]));
        CACHE.put(name, user);
        return Optional.of(user);
    }

    /** The real uid the agent runs as, read from {@code /proc/self/status}. */
    public static int agentUid() {
        Integer uid = agentUid;
        if (uid == null) {
            uid = readAgentUid();
            agentUid = uid;
        }
        return uid;
    }

    public static boolean agentIsRoot() {
        return agentUid() == 0;
    }

    private static int readAgentUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: not Linux
        }
        return "root".equals(System.getProperty("user.name")) ? 0 : 1000;
    }
}
