package io.berth.agent.sandbox;

import io.berth.agent.os.Mounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where an agent's cgroups go on this host, found from {@code /proc/self/mountinfo} and {@code /proc/self/cgroup},
 * with the agent's directories made.
 *
 * @param unified       the agent's v2 directory (membership, kill, events, cpu.stat), or null
 * @param unifiedLimits whether {@code unified} also has the limit controllers (pure v2)
 * @param v1            v1 controller → the agent's directory in that hierarchy
 * @param hostRoot      the one hierarchy's mount point, or the directory of all the mount points the agent uses
 *                      (what a sandbox covers with a view of its service's own cgroups); null when they are spread
 */
record CgroupLayout(Path unified, boolean unifiedLimits, Map<String, Path> v1, Path hostRoot) {
    private static final Path SELF = Path.of("/proc/self/cgroup");

    CgroupLayout {
        v1 = Map.copyOf(v1);
    }

    static CgroupLayout detect(String agent, List<String> controllers) throws IOException {
        Map<String, Path> mounts = new LinkedHashMap<>();
        Path v2 = null;
        for (Mounts.Mount m : Mounts.current()) {
            Path mountPoint = m.mountPoint();
            if (m.fsType().equals("cgroup2")) {
                v2 = mountPoint;
            } else if (m.fsType().equals("cgroup")) {
                for (String option : m.superOptions()) {
                    if (controllers.contains(option)) {
                        mounts.putIfAbsent(option, mountPoint);
                    }
                }
            }
        }
        Map<String, String> own = ownPaths(controllers);
        Path unified = null;
        boolean limits = false;
        if (v2 != null) {
            // at the root, beside the service manager's tree (as container engines do): a v2 cgroup that holds
            // processes, like the agent's own, cannot hand controllers down
            unified = v2.resolve("berth").resolve(agent);
            limits = mounts.isEmpty() && enableControllers(v2, unified, controllers);
            Files.createDirectories(unified);
        }
        Map<String, Path> v1 = new LinkedHashMap<>();
        for (var e : mounts.entrySet()) {
            Path dir = e.getValue().resolve(relative(own.get(e.getKey()))).resolve("berth").resolve(agent);
            Files.createDirectories(dir);
            v1.put(e.getKey(), dir);
        }
        return new CgroupLayout(unified, limits, v1, hostRoot(v2, mounts.values()));
    }

    private static Path hostRoot(Path v2, java.util.Collection<Path> v1MountPoints) {
        if (v1MountPoints.isEmpty()) {
            return v2;
        }
        List<Path> all = new java.util.ArrayList<>(v1MountPoints);
        if (v2 != null) {
            all.add(v2);
        }
        Path parent = all.get(0).getParent();
        return parent != null && all.stream().allMatch(p -> parent.equals(p.getParent())) ? parent : null;
    }

    /** Enables the limit controllers from the v2 root down to {@code leafParent}; false if they are not there. */
    private static boolean enableControllers(Path root, Path leafParent, List<String> controllers) {
        try {
            List<String> available = List.of(Files.readString(root.resolve("cgroup.controllers")).strip().split(" "));
            if (!available.containsAll(controllers)) {
                return false;
            }
            String enable = "+" + String.join(" +", controllers);
            Path p = root;
            Cgroups.write(p, "cgroup.subtree_control", enable);
            for (Path part : root.relativize(leafParent)) {
                p = p.resolve(part);
                Files.createDirectories(p);
                Cgroups.write(p, "cgroup.subtree_control", enable);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The agent's own cgroup path per v1 controller, and per v2 under "". */
    private static Map<String, String> ownPaths(List<String> controllers) throws IOException {
        Map<String, String> own = new LinkedHashMap<>();
        for (String line : Files.readAllLines(SELF)) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (f[1].isEmpty()) {
                own.put("", f[2]);
            }
            for (String c : f[1].split(",")) {
                if (controllers.contains(c)) {
                    own.put(c, f[2]);
                }
            }
        }
        return own;
    }

    private static String relative(String path) {
        if (path == null) {
            return "";
        }
        return path.startsWith("/") ? path.substring(1) : path;
    }
}
