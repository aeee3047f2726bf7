package io.berth.agent.journal;

import io.berth.agent.network.NamespaceNetwork;
import io.berth.agent.os.FileTrees;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Signals;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * After an agent crash, removes what the previous agent left: journalled services (SIGKILL to their
 * group, only if the pid still is the process that was started), the namespaces it created (with
 * anything still inside), and every scratch directory. Services are not re-attached. Blocking.
 */
public final class Reaper {
    private static final System.Logger LOG = System.getLogger(Reaper.class.getName());
    private static final Pattern OUR_NAMESPACE = Pattern.compile("berth-[0-9a-f]{12}");

    private final Path stateDir;
    private final TaskJournal journal;

    public Reaper(Path stateDir, TaskJournal journal) {
        this.stateDir = stateDir;
        this.journal = journal;
    }

    /** Returns one line per thing reaped, for the log. */
    public List<String> reap() throws IOException {
        List<String> done = new ArrayList<>();
        for (TaskRecord task : journal.readAll()) {
            for (TaskRecord.ServiceRecord s : task.services()) {
                if (s.pid() > 1 && ProcessTable.startTicks(s.pid()) == s.startTicks()) {
                    ProcessHandle.of(s.pid()).ifPresent(h -> h.descendants().forEach(ProcessHandle::destroyForcibly));
                    Signals.group(s.pid(), "KILL");
                    done.add("task " + task.taskId() + ": killed service " + s.name() + " (pid " + s.pid() + ")");
                }
            }
            if (task.namespace() != null && OUR_NAMESPACE.matcher(task.namespace()).matches()
                    && Files.exists(Path.of("/run/netns", task.namespace()))) {
                NamespaceNetwork.delete(task.namespace());
                done.add("task " + task.taskId() + ": deleted network namespace " + task.namespace());
            }
            journal.remove(task.taskId());
        }
        Path tasks = stateDir.resolve("tasks");
        if (Files.isDirectory(tasks)) {
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
                for (Path d : dirs) {
                    FileTrees.delete(d);
                    done.add("removed scratch directory " + d);
                }
            }
        }
        done.forEach(line -> LOG.log(Level.WARNING, "reaped after restart: {0}", line));
        return done;
    }
}
