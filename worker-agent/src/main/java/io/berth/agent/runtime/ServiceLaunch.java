package io.berth.agent.runtime;

import io.berth.events.config.ServiceConfig;

import java.util.Map;

/**
 * Everything needed to launch one service of a task.
 *
 * @param taskInputs task artifacts on this worker: input name → absolute path
 * @param netns      network namespace path to run in, or null for the host network
 */
public record ServiceLaunch(String taskId, long generation, String service, ServiceConfig config,
                            Map<String, String> taskInputs, String netns) {
    public ServiceLaunch {
        taskInputs = taskInputs == null ? Map.of() : Map.copyOf(taskInputs);
    }

    /** The same launch, in network namespace {@code path} (null: the host network). */
    public ServiceLaunch inNetwork(String path) {
        return new ServiceLaunch(taskId, generation, service, config, taskInputs, path);
    }
}
