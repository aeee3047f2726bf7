package io.berth.cli;

import io.berth.agent.os.TaskIds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds what a worker agent left behind of a test's tasks, by looking at the machine rather than asking the agent:
 * service processes (by the {@code BERTH_TASK_ID} the agent puts in every service's environment), network namespaces
 * ({@code berth-<hash>}, and {@code berth-<hash>-<service>} in bridge mode), scratch directories
 * ({@code <stateDir>/tasks/<hash>}) and journal entries ({@code <stateDir>/journal/<hash>.json}). Only the test's own
 * tasks count: other agents on this machine may run services of their own meanwhile.
 */
final class Orphans {
    private static final Pattern NAMESPACE = Pattern.compile("berth-([0-9a-f]{12})(-[A-Za-z0-9][A-Za-z0-9_.-]*)?");
    private static final Path NETNS = Path.of("/run/netns");

    /** A live process that carries a task's id in its environment. */
    record ServiceProcess(long pid, String task, String service, String command) {
        @Override
        public String toString() {
            return "process " + pid + " (" + command + ") of service " + service + " of task " + task;
        }
    }

    private Orphans() {}

    /**
     * Everything of {@code tasks} that is still there although its task is not in {@code live}, one line each; in
     * {@code stateDir}, anything that belongs to no live task (whosever it is: the state directory is the test's).
     */
    static List<String> find(Path stateDir, Collection<String> tasks, Set<String> live) throws IOException {
        List<String> found = new ArrayList<>();
        for (ServiceProcess p : processes(tasks)) {
            if (!live.contains(p.task())) {
                found.add(p.toString());
            }
        }
        namespaces(tasks).forEach((ns, task) -> {
            if (!live.contains(task)) {
                found.add("network namespace " + ns + " of task " + task);
            }
        });
        Map<String, String> liveHashes = hashes(live);
        Map<String, String> allHashes = hashes(tasks);
        for (String sub : List.of("tasks", "journal")) {
            Path dir = stateDir.resolve(sub);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    String name = entry.getFileName().toString();
                    String hash = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
                    if (!liveHashes.containsKey(hash)) {
                        found.add((sub.equals("tasks") ? "scratch directory " : "journal entry ") + entry
                                + " of task " + allHashes.getOrDefault(hash, "(not one of the test's)"));
                    }
                }
            }
        }
        return found;
    }

    /**
     * Live processes whose environment names one of {@code tasks}; zombies (dead, not yet reaped by their new
     * parent) and processes gone or unreadable meanwhile are skipped.
     */
    static List<ServiceProcess> processes(Collection<String> tasks) throws IOException {
        Set<String> wanted = Set.copyOf(tasks);
        List<ServiceProcess> found = new ArrayList<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path dir : proc) {
                try {
                    String stat = Files.readString(dir.resolve("stat"), StandardCharsets.ISO_8859_1);
                    int close = stat.lastIndexOf(')');
                    char state = close > 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
                    if (state == 'Z' || state == 'X') {
                        continue;
                    }
                    String task = null;
                    String service = null;
                    for (String var : new String(Files.readAllBytes(dir.resolve("environ")), StandardCharsets.UTF_8)
                            .split("\0")) {
                        if (var.startsWith("BERTH_TASK_ID=")) {
                            task = var.substring("BERTH_TASK_ID=".length());
                        } else if (var.startsWith("BERTH_SERVICE_NAME=")) {
                            service = var.substring("BERTH_SERVICE_NAME=".length());
                        }
                    }
                    if (task != null && wanted.contains(task)) {
                        String comm = Files.readString(dir.resolve("comm"), StandardCharsets.ISO_8859_1).strip();
                        found.add(new ServiceProcess(Long.parseLong(dir.getFileName().toString()), task, service,
                                comm));
                    }
                } catch (IOException | SecurityException e) {
                    // gone meanwhile, or not ours to read
                }
            }
        }
        return found;
    }

    /** Network namespaces of {@code tasks}: name → task id. */
    static Map<String, String> namespaces(Collection<String> tasks) throws IOException {
        Map<String, String> byHash = hashes(tasks);
        Map<String, String> found = new HashMap<>();
        if (!Files.isDirectory(NETNS)) {
            return found;
        }
        try (DirectoryStream<Path> all = Files.newDirectoryStream(NETNS)) {
            for (Path p : all) {
                String name = p.getFileName().toString();
                Matcher m = NAMESPACE.matcher(name);
                if (m.matches() && byHash.containsKey(m.group(1))) {
                    found.put(name, byHash.get(m.group(1)));
                }
            }
        }
        return found;
    }

    /**
     * The test's cleanup, whatever state the agent left: SIGKILLs every process of {@code tasks} and deletes their
     * namespaces. Returns what it removed.
     */
    static List<String> remove(Collection<String> tasks) throws IOException, InterruptedException {
        List<String> removed = new ArrayList<>();
        for (ServiceProcess p : processes(tasks)) {
            ProcessHandle.of(p.pid()).ifPresent(h -> {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
            });
            removed.add(p.toString());
        }
        for (String ns : namespaces(tasks).keySet()) {
            Processes.run("ip", "netns", "del", ns);
            removed.add("network namespace " + ns);
        }
        return removed;
    }

    /** Hash (as in the agent's file and namespace names) → task id. */
    private static Map<String, String> hashes(Collection<String> tasks) {
        Map<String, String> out = new HashMap<>();
        for (String task : tasks) {
            out.put(TaskIds.shortHash(task), task);
        }
        return out;
    }
}
