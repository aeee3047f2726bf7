package io.berth.loadtest.measure;

import io.berth.agent.StateLayout;
import io.berth.loadtest.generator.BenchService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Reads, from each service's log in the agent's state directory, the instant the listener says it
 * started listening. Only possible when the agent runs in this JVM (or on this machine); read after a
 * step, so the file reads do not compete with the measurement.
 */
public final class ServiceStamps {
    private ServiceStamps() {}

    /** @return how many services got a stamp */
    public static int read(Path agentStateDir, List<TaskTrace> tasks) {
        int found = 0;
        for (TaskTrace task : tasks) {
            for (Map.Entry<String, TaskTrace.ServiceTrace> e : task.services().entrySet()) {
                if (e.getValue().launchedAtMillis < 0) {
                    continue; // never ready: no generation known, and nothing to subtract
                }
                Path log = StateLayout.of(agentStateDir).log(task.taskId(), e.getValue().generation, e.getKey());
                try {
                    OptionalLong stamp = BenchService.listenStamp(Files.readString(log, StandardCharsets.UTF_8));
                    if (stamp.isPresent()) {
                        task.listenStamp(e.getKey(), stamp.getAsLong());
                        found++;
                    }
                } catch (IOException ignored) {
                    // no log: the figure falls back to the agent's own view
                }
            }
        }
        return found;
    }
}
