package io.berth.agent.supervisor;

import io.berth.agent.AgentSettings;
import io.berth.agent.journal.Reaper;
import io.berth.agent.journal.StateDirLock;
import io.berth.agent.journal.TaskJournal;
import io.berth.agent.journal.TaskRecord;
import io.berth.agent.sandbox.Cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * What an agent finds on start in its state directory, left by a crashed predecessor: the journalled tasks it can
 * re-attach, those it reaps and must report gone, and everything else, which it reaps (with the state directories
 * of dead sibling agents).
 */
final class StartupSort {
    private static final System.Logger LOG = System.getLogger(StartupSort.class.getName());

    private StartupSort() {}

    /** A journalled task with the launch made again from its command. */
    record Journalled(TaskRecord record, Relauncher.Relaunch relaunch) {}

    /**
     * @param reattach tasks whose network may be taken over: their services are re-attached
     * @param lost     tasks to reap whose every service was launched: their services are reported gone
     */
    record Found(List<Journalled> reattach, List<Journalled> lost) {
        Set<String> reattachIds() {
            return ids(reattach);
        }

        Set<String> lostIds() {
            return ids(lost);
        }

        private static Set<String> ids(List<Journalled> tasks) {
            return tasks.stream().map(j -> j.record().taskId()).collect(Collectors.toSet());
        }
    }

    /**
     * Claims this agent's state directory (refusing to share it with a live agent) and sorts its journal into tasks
     * to re-attach and tasks to reap ({@link #reap}). Blocking.
     *
     * @param claimed given the state directory's lock as soon as it is held (the caller releases it at its end)
     */
    static Found claimAndSort(AgentSettings settings, TaskJournal journal, Relauncher relauncher,
                              Consumer<StateDirLock> claimed) throws IOException {
        Path own = settings.stateDir();
        claimed.accept(StateDirLock.tryAcquire(own).orElseThrow(() -> new IllegalStateException(
                "another live agent uses state directory " + own + " (worker '" + settings.workerName()
                        + "' already runs on this machine?)")));
        List<Journalled> reattach = new ArrayList<>();
        List<Journalled> lost = new ArrayList<>();
        for (TaskRecord record : journal.readAll()) {
            Optional<Relauncher.Relaunch> relaunch = relaunch(relauncher, record);
            // every service launched and journalled: the start may have been acknowledged, so it is not sent again
            boolean launched = relaunch.isPresent() && relaunch.get().launch().services().keySet().stream()
                    .allMatch(name -> record.service(name) != null);
            if (relaunch.isPresent() && record.reattachable()) {
                reattach.add(new Journalled(record, relaunch.get())); // what was not launched yet is, then
            } else if (launched) {
                lost.add(new Journalled(record, relaunch.get()));
            }
        }
        return new Found(reattach, lost);
    }

    /**
     * Reaps what the journal names but the tasks {@code found} re-attaches, then the state directories of sibling
     * agents that died (their locks are free). One line per thing reaped. Blocking.
     */
    static List<String> reap(AgentSettings settings, TaskJournal journal, Found found) throws IOException {
        Path own = settings.stateDir();
        List<String> reaped = new ArrayList<>(new Reaper(own, journal).reapExcept(found.reattachIds(), found.lostIds()));
        Path parent = own.getParent();
        if (parent != null && Files.isDirectory(parent)) {
            try (var siblings = Files.newDirectoryStream(parent, d -> !d.equals(own) && StateDirLock.isStateDir(d))) {
                for (Path sibling : siblings) {
                    var lock = StateDirLock.tryAcquire(sibling);
                    if (lock.isPresent()) {
                        try (StateDirLock dead = lock.get()) {
                            reaped.addAll(new Reaper(sibling, new TaskJournal(sibling)).reap());
                            Cgroups.forStateDir(sibling).removeAgent();
                        }
                    }
                }
            }
        }
        return reaped;
    }

    private static Optional<Relauncher.Relaunch> relaunch(Relauncher relauncher, TaskRecord record) {
        if (record.command() == null) {
            return Optional.empty();
        }
        try {
            return relauncher.relaunch(record.command())
                    .filter(r -> r.launch().taskId().equals(record.taskId())
                            && r.launch().generation() == record.generation());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "task {0}: cannot read its journalled command: {1}",
                    record.taskId(), e.toString());
            return Optional.empty();
        }
    }

}
