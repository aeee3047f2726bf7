package io.berth.agent.journal;

import io.berth.agent.StateLayout;
import io.berth.agent.os.TaskIds;
import io.berth.agent.network.NamespaceNetwork;
import io.berth.agent.network.TaskNetworks;
import io.berth.agent.os.FileTrees;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.sandbox.Cgroups;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.regex.Pattern;

/**
 * After an agent crash, removes what the previous agent left: journalled services (SIGKILL to their
 * group, only if the pid still is the process that was started), the namespaces it created (with
 * anything still inside; in bridge mode the task's and every service's), its bridge hub (with every
 * veth and firewall table in it), and every scratch directory — except what belongs to the tasks a restarted
 * agent re-attaches to. Blocking.
 */
public final class Reaper {
    private static final System.Logger LOG = System.getLogger(Reaper.class.getName());
    private static final Pattern OUR_NAMESPACE = Pattern.compile("berth-[0-9a-f]{12}");
    private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private final Path stateDir;
    private final TaskJournal journal;

    public Reaper(Path stateDir, TaskJournal journal) {
        this.stateDir = stateDir;
        this.journal = journal;
    }

    /** Reaps everything journalled; returns one line per thing reaped, for the log. */
    public List<String> reap() throws IOException {
        return reapExcept(Set.of(), Set.of());
    }

    /**
     * Reaps everything journalled but the tasks in {@code kept} (task ids), which are re-attached; the journal entries
     * of those in {@code remembered} stay (to be removed once their services are reported gone).
     */
    public List<String> reapExcept(Set<String> kept, Set<String> remembered) throws IOException {
        List<String> done = new ArrayList<>();
        for (TaskRecord task : journal.readAll()) {
            if (!kept.contains(task.taskId())) {
                done.addAll(reapTask(task, !remembered.contains(task.taskId())));
            }
        }
        // nothing of this agent runs yet: its bridge hub, with every veth and firewall table in it, goes
        // (a task in bridge mode is never re-attached)
        String hub = TaskNetworks.hubName(stateDir);
        if (Files.exists(Path.of("/run/netns", hub))) {
            NamespaceNetwork.delete(hub);
            done.add("deleted bridge hub " + hub + " with its veths and firewall rules");
        }
        Set<String> keptDirs = new HashSet<>();
        kept.forEach(taskId -> keptDirs.add(TaskIds.shortHash(taskId)));
        // cgroups no journal entry names (a service launched before its task was journalled)
        Set<String> keptCgroups = new HashSet<>();
        kept.forEach(taskId -> keptCgroups.add(Cgroups.taskPrefix(taskId)));
        for (String name : Cgroups.forStateDir(stateDir).reapAllExcept(keptCgroups)) {
            done.add("killed and removed cgroup " + name);
        }
        Path tasks = StateLayout.of(stateDir).tasks();
        if (Files.isDirectory(tasks)) {
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
                for (Path d : dirs) {
                    if (!keptDirs.contains(d.getFileName().toString())) {
                        FileTrees.delete(d);
                        done.add("removed scratch directory " + d);
                    }
                }
            }
        }
        done.forEach(line -> LOG.log(Level.WARNING, "reaped after restart: {0}", line));
        return done;
    }

    /**
     * Kills a journalled task's services, deletes its namespaces and, if {@code forget}, its journal entry; one line
     * per thing reaped.
     */
    public List<String> reapTask(TaskRecord task, boolean forget) throws IOException {
        List<String> done = new ArrayList<>();
        for (TaskRecord.ServiceRecord s : task.services()) {
            // its launcher: the service's sandbox dies with it
            if (s.pid() > 1 && ProcessTable.startTicks(s.pid()) == s.startTicks()
                    && ProcessHandle.of(s.pid()).map(ProcessHandle::destroyForcibly).orElse(false)) {
                done.add("task " + task.taskId() + ": killed service " + s.name() + " (pid " + s.pid() + ")");
            }
        }
        // every cgroup of the task, also of a service launched in the instant before the crash, before its pid was
        // journalled: whatever is in them dies
        Cgroups cgroups = Cgroups.forStateDir(stateDir);
        for (String name : cgroups.reapAllExcept(cgroupsNotOf(cgroups, task.taskId()))) {
            done.add("task " + task.taskId() + ": killed and removed cgroup " + name);
        }
        if (task.namespace() != null && OUR_NAMESPACE.matcher(task.namespace()).matches()
                && Files.exists(Path.of("/run/netns", task.namespace()))) {
            NamespaceNetwork.delete(task.namespace());
            done.add("task " + task.taskId() + ": deleted network namespace " + task.namespace());
        }
        for (String ns : serviceNamespaces(task.taskId())) {
            NamespaceNetwork.delete(ns);
            done.add("task " + task.taskId() + ": deleted network namespace " + ns);
        }
        if (forget) {
            journal.remove(task.taskId());
        }
        return done;
    }

    /** The prefixes that keep every cgroup but the task's: the reaper removes only what starts with its own. */
    private static Set<String> cgroupsNotOf(Cgroups cgroups, String taskId) throws IOException {
        String own = Cgroups.taskPrefix(taskId);
        Set<String> others = new HashSet<>();
        for (String name : cgroups.names()) {
            if (!name.startsWith(own)) {
                others.add(name);
            }
        }
        return others;
    }

    /** Bridge mode's per-service namespaces of a task ({@code berth-<hash>-<service>}). */
    private static List<String> serviceNamespaces(String taskId) throws IOException {
        Path run = Path.of("/run/netns");
        List<String> found = new ArrayList<>();
        if (!Files.isDirectory(run)) {
            return found;
        }
        String prefix = TaskIds.namespaceName(taskId) + "-";
        try (DirectoryStream<Path> all = Files.newDirectoryStream(run)) {
            for (Path p : all) {
                String name = p.getFileName().toString();
                if (name.startsWith(prefix) && SERVICE_NAME.matcher(name.substring(prefix.length())).matches()) {
                    found.add(name);
                }
            }
        }
        return found;
    }
}
