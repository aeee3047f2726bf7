package io.berth.agent.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the worker's operator grants tasks — never a task itself.
 *
 * @param firstUid         first uid (and gid) of the range each live task gets one of ({@code BERTH_UID_RANGE})
 * @param uidCount         size of that range
 * @param allowedUsers     host accounts a service may name in {@code run.user} ({@code BERTH_ALLOWED_USERS}; none by
 *                         default: services run as their task's own uid)
 * @param joinableDirs     directories whose network namespaces a task may join ({@code BERTH_JOINABLE_NETNS_DIRS};
 *                         none by default)
 * @param hostNetwork      whether a task may ask for {@code host} network mode ({@code BERTH_ALLOW_HOST_NETWORK})
 * @param pidsLimit        processes a service may have at once when its config sets no {@code resources.pids}
 *                         ({@code BERTH_DEFAULT_PIDS_LIMIT})
 * @param servicesDieWithAgent whether services are killed with the agent (an agent embedded in {@code berth run})
 *                         instead of being re-attached by its successor
 * @param logCapBytes      the most of a service's log kept on disk (the agent's log cap), held while the service writes
 */
public record SandboxSettings(int firstUid, int uidCount, Set<String> allowedUsers, List<Path> joinableDirs,
                              boolean hostNetwork, int pidsLimit, boolean servicesDieWithAgent, long logCapBytes) {
    public static final int DEFAULT_FIRST_UID = 200_000;
    public static final int DEFAULT_UID_COUNT = 100_000;
    public static final int DEFAULT_PIDS_LIMIT = 1024;
    public static final long DEFAULT_LOG_CAP_BYTES = 10L << 20;

    public SandboxSettings {
        if (firstUid < 1000 || uidCount < 1 || (long) firstUid + uidCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the task uid range must lie within 1000.." + Integer.MAX_VALUE);
        }
        if (pidsLimit < 1) {
            throw new IllegalArgumentException("the default pids limit must be positive");
        }
        allowedUsers = Set.copyOf(allowedUsers);
        joinableDirs = joinableDirs.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }

    /** Nothing granted; uids from the default range. */
    public static SandboxSettings defaults() {
        return new SandboxSettings(DEFAULT_FIRST_UID, DEFAULT_UID_COUNT, Set.of(), List.of(), false,
                DEFAULT_PIDS_LIMIT, false, DEFAULT_LOG_CAP_BYTES);
    }

    /** From the {@code BERTH_*} variables named above; what is unset keeps its default. */
    public static SandboxSettings fromEnvironment(Map<String, String> env) {
        SandboxSettings d = defaults();
        int first = d.firstUid();
        int count = d.uidCount();
        String range = env.get("BERTH_UID_RANGE");
        if (range != null && !range.isBlank()) {
            String[] ends = range.strip().split("-");
            try {
                first = Integer.parseInt(ends[0].strip());
                count = Integer.parseInt(ends[1].strip()) - first + 1;
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("BERTH_UID_RANGE must be FIRST-LAST, e.g. 200000-299999: " + range);
            }
        }
        Set<String> users = new LinkedHashSet<>(words(env.get("BERTH_ALLOWED_USERS")));
        List<Path> dirs = new ArrayList<>();
        words(env.get("BERTH_JOINABLE_NETNS_DIRS")).forEach(w -> dirs.add(Path.of(w)));
        boolean host = Boolean.parseBoolean(env.getOrDefault("BERTH_ALLOW_HOST_NETWORK", "false").strip());
        String pids = env.get("BERTH_DEFAULT_PIDS_LIMIT");
        int pidsLimit = pids == null || pids.isBlank() ? d.pidsLimit() : Integer.parseInt(pids.strip());
        return new SandboxSettings(first, count, users, dirs, host, pidsLimit, false, d.logCapBytes());
    }

    private static List<String> words(String list) {
        List<String> words = new ArrayList<>();
        if (list != null) {
            for (String w : list.split("[,:\\s]+")) {
                if (!w.isBlank()) {
                    words.add(w.strip());
                }
            }
        }
        return words;
    }

    public SandboxSettings withAllowedUsers(Set<String> users) {
        return new SandboxSettings(firstUid, uidCount, users, joinableDirs, hostNetwork, pidsLimit,
                servicesDieWithAgent, logCapBytes);
    }

    public SandboxSettings withJoinableDirs(List<Path> dirs) {
        return new SandboxSettings(firstUid, uidCount, allowedUsers, dirs, hostNetwork, pidsLimit,
                servicesDieWithAgent, logCapBytes);
    }

    public SandboxSettings withHostNetwork(boolean allowed) {
        return new SandboxSettings(firstUid, uidCount, allowedUsers, joinableDirs, allowed, pidsLimit,
                servicesDieWithAgent, logCapBytes);
    }

    public SandboxSettings withUidRange(int first, int count) {
        return new SandboxSettings(first, count, allowedUsers, joinableDirs, hostNetwork, pidsLimit,
                servicesDieWithAgent, logCapBytes);
    }

    public SandboxSettings withLogCap(long bytes) {
        return new SandboxSettings(firstUid, uidCount, allowedUsers, joinableDirs, hostNetwork, pidsLimit,
                servicesDieWithAgent, bytes);
    }

    public SandboxSettings withServicesDyingWithAgent(boolean die) {
        return new SandboxSettings(firstUid, uidCount, allowedUsers, joinableDirs, hostNetwork, pidsLimit, die, logCapBytes);
    }
}
