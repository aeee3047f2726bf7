package io.berth.agent.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cgroups of one agent's services, in whatever layout the host has, detected at start:
 * <ul>
 *   <li>pure cgroup v2 ({@code /sys/fs/cgroup}): one cgroup per service under {@code berth/AGENT}, with the
 *       {@code pids}, {@code memory} and {@code cpu} controllers enabled on the way down;</li>
 *   <li>hybrid (v2 at {@code /sys/fs/cgroup/unified}, usually without controllers, next to v1 controller
 *       hierarchies): the v2 cgroup for membership, kill-all, "populated" and CPU accounting, and a cgroup in each
 *       v1 {@code pids}, {@code memory} and {@code cpu} hierarchy (under the agent's own) for the limits;</li>
 *   <li>none usable (not root, no cgroup file systems): no limits; {@link #describe()} says so.</li>
 * </ul>
 * Blocking methods.
 */
public final class Cgroups {
    private static final List<String> CONTROLLERS = List.of("pids", "memory", "cpu");

    /** The agent's v2 directory (membership, kill, events, cpu.stat), or null. */
    private final Path unified;
    /** Whether {@link #unified} also has the limit controllers (pure v2). */
    private final boolean unifiedLimits;
    /** v1 controller → the agent's directory in that hierarchy. */
    private final Map<String, Path> v1;
    /** Where the hierarchies are mounted (see {@link ServiceCgroup#hostRoot()}), or null. */
    private final Path hostRoot;

    private Cgroups(Path unified, boolean unifiedLimits, Map<String, Path> v1, Path hostRoot) {
        this.unified = unified;
        this.unifiedLimits = unifiedLimits;
        this.v1 = Map.copyOf(v1);
        this.hostRoot = hostRoot;
    }

    private static final Map<Path, Cgroups> BY_STATE_DIR = new java.util.concurrent.ConcurrentHashMap<>();

    /** The cgroups of the agent with state directory {@code stateDir} (detected once per JVM). */
    public static Cgroups forStateDir(Path stateDir) {
        return BY_STATE_DIR.computeIfAbsent(stateDir.toAbsolutePath().normalize(),
                dir -> detect("agent-" + io.berth.agent.os.TaskIds.shortHash(dir.toString())));
    }

    /** A service's cgroup name: task, generation and service, so a task's cgroups share {@link #taskPrefix}. */
    public static String serviceName(String taskId, long generation, String service) {
        return taskPrefix(taskId) + "g" + generation + "-" + io.berth.agent.os.TaskIds.checkServiceName(service);
    }

    public static String taskPrefix(String taskId) {
        return io.berth.agent.os.TaskIds.shortHash(taskId) + "-";
    }

    /** No cgroups: nothing limited, nothing accounted. */
    public static Cgroups none() {
        return new Cgroups(null, false, Map.of(), null);
    }

    /**
     * Finds the host's layout and makes the agent's directories, {@code berth/AGENT} in each hierarchy ({@code AGENT}
     * names the agent's state directory, so a successor finds a dead agent's cgroups).
     */
    public static Cgroups detect(String agent) {
        try {
            CgroupLayout layout = CgroupLayout.detect(agent, CONTROLLERS);
            return new Cgroups(layout.unified(), layout.unifiedLimits(), layout.v1(), layout.hostRoot());
        } catch (IOException | RuntimeException e) {
            System.getLogger(Cgroups.class.getName()).log(System.Logger.Level.WARNING,
                    "no cgroups for services ({0}): no limits, kill-all or CPU accounting", e.toString());
            return none();
        }
    }

    /** What the agent enforces with these cgroups, for its start-up log. */
    public String describe() {
        if (unified == null && v1.isEmpty()) {
            return "no cgroups: services get no memory, CPU or process limits";
        }
        List<String> limits = new ArrayList<>();
        for (String c : CONTROLLERS) {
            if (canLimit(c)) {
                limits.add(c);
            }
        }
        return "cgroups " + (unifiedLimits ? "v2 at " + unified : (unified != null ? "v2 at " + unified + " (membership, "
                + "kill, CPU accounting) and " : "") + "v1 " + v1.values()) + "; limits: "
                + (limits.isEmpty() ? "none" : String.join(", ", limits)) + "; "
                + (hostRoot != null ? "a service sees its own cgroups alone under " + hostRoot
                : "services see the host's cgroup file systems (their mount points share no directory)");
    }

    /** Whether a limit of {@code controller} ({@code pids}, {@code memory}, {@code cpu}) can be set. */
    public boolean canLimit(String controller) {
        return unifiedLimits || v1.containsKey(controller);
    }

    /** Creates the cgroup {@code name} with {@code limits} (a limit that cannot be enforced fails it). */
    public ServiceCgroup create(String name, Limits limits) throws IOException {
        ServiceCgroup every = anywhere(name);
        if (every.dirs().isEmpty()) {
            return every;
        }
        if (limits.memoryBytes() != null && !canLimit("memory")) {
            throw new IllegalArgumentException("resources.memory cannot be enforced on this worker: it has no memory "
                    + "cgroup controller");
        }
        if (limits.cpus() != null && !canLimit("cpu")) {
            throw new IllegalArgumentException("resources.cpus cannot be enforced on this worker: it has no cpu "
                    + "cgroup controller");
        }
        ServiceCgroup cgroup = new ServiceCgroup(name, every.unified(), every.dirs().stream()
                .filter(dir -> dir.equals(every.unified()) || limited(dir, limits)).toList(), hostRoot);
        try {
            makeDirectories(cgroup);
        } catch (FileAlreadyExistsException leftover) { // of the same name, a crashed agent's: it goes first
            every.remove();
            makeDirectories(cgroup);
        }
        try {
            for (var c : List.of("pids", "memory", "cpu")) {
                Path dir = dirOf(cgroup, c);
                if (dir == null) {
                    continue;
                }
                switch (c) {
                    case "pids" -> {
                        if (limits.pids() != null) {
                            write(dir, "pids.max", Long.toString(limits.pids()));
                        }
                    }
                    case "memory" -> {
                        if (limits.memoryBytes() != null) {
                            write(dir, unifiedLimits ? "memory.max" : "memory.limit_in_bytes",
                                    Long.toString(limits.memoryBytes()));
                            if (unifiedLimits) {
                                writeIfPresent(dir, "memory.swap.max", "0");
                            }
                        }
                    }
                    default -> {
                        if (limits.cpus() != null) {
                            long quota = Math.max(1000, Math.round(limits.cpus() * 100_000));
                            if (unifiedLimits) {
                                write(dir, "cpu.max", quota + " 100000");
                            } else {
                                write(dir, "cpu.cfs_period_us", "100000");
                                write(dir, "cpu.cfs_quota_us", Long.toString(quota));
                            }
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            cgroup.remove();
            throw e;
        }
        return cgroup;
    }

    private static void makeDirectories(ServiceCgroup cgroup) throws IOException {
        for (Path dir : cgroup.dirs()) {
            try {
                Files.createDirectory(dir);
            } catch (NoSuchFileException agentDirectoryGone) {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir);
            }
        }
    }

    private Path dirOf(ServiceCgroup cgroup, String controller) {
        if (unifiedLimits) {
            return cgroup.unified();
        }
        Path base = v1.get(controller);
        return base == null ? null : base.resolve(cgroup.name());
    }

    /**
     * Whether the v1 directory {@code dir} is of a controller {@code limits} sets: a v1 cgroup is made only where it
     * limits something (each costs a directory made and removed and a migration per service). The pids limit is always
     * set, so on a host with v1 alone the pids cgroup holds the service's processes.
     */
    private boolean limited(Path dir, Limits limits) {
        for (var e : v1.entrySet()) {
            if (dir.startsWith(e.getValue())) {
                return switch (e.getKey()) {
                    case "pids" -> limits.pids() != null || unified == null;
                    case "memory" -> limits.memoryBytes() != null;
                    default -> limits.cpus() != null;
                };
            }
        }
        return true;
    }

    /** The cgroup {@code name} as it is: the directories of it that exist, e.g. of a service a crashed agent launched. */
    public ServiceCgroup existing(String name) {
        ServiceCgroup every = anywhere(name);
        return new ServiceCgroup(name, every.unified(), every.dirs().stream()
                .filter(dir -> dir.equals(every.unified()) || Files.isDirectory(dir)).toList(), hostRoot);
    }

    /** The cgroup {@code name} in every hierarchy this agent uses, made or not: what removing a leftover looks at. */
    public ServiceCgroup anywhere(String name) {
        List<Path> dirs = new ArrayList<>();
        if (unified != null) {
            dirs.add(unified.resolve(name));
        }
        if (!unifiedLimits) {
            v1.values().forEach(base -> dirs.add(base.resolve(name)));
        }
        return new ServiceCgroup(name, unified == null ? null : unified.resolve(name), dirs, hostRoot);
    }

    /**
     * Kills and removes every service cgroup of this agent (a predecessor's leftovers) whose name starts with none of
     * {@code kept}; their names.
     */
    public List<String> reapAllExcept(java.util.Set<String> kept) throws IOException {
        List<String> names = new ArrayList<>();
        for (String name : names()) {
            if (kept.stream().noneMatch(name::startsWith)) {
                anywhere(name).remove();
                names.add(name);
            }
        }
        return names;
    }

    /** Kills and removes every service cgroup of this agent, then the agent's own directories (an agent that is gone). */
    public void removeAgent() throws IOException {
        reapAllExcept(java.util.Set.of());
        List<Path> bases = new ArrayList<>(v1.values());
        if (unified != null) {
            bases.add(unified);
        }
        for (Path base : bases) {
            try {
                Files.deleteIfExists(base);
            } catch (IOException stillInUse) {
                // a service cgroup came back meanwhile: the next start reaps it
            }
        }
    }

    /** The names of this agent's service cgroups. */
    public List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        Path listed = unified != null ? unified : v1.get("pids"); // every service has one there (see limited)
        if (listed == null || !Files.isDirectory(listed)) {
            return names;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(listed, Files::isDirectory)) {
            for (Path d : dirs) {
                names.add(d.getFileName().toString());
            }
        }
        return names;
    }

    /** Limits of one service; null = none. */
    public record Limits(Long pids, Long memoryBytes, Double cpus) {}

    static void write(Path dir, String file, String value) throws IOException {
        Files.writeString(dir.resolve(file), value);
    }

    private static void writeIfPresent(Path dir, String file, String value) throws IOException {
        if (Files.exists(dir.resolve(file))) {
            write(dir, file, value);
        }
    }
}
