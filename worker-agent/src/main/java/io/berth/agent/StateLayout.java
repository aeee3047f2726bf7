package io.berth.agent;

import io.berth.agent.os.TaskIds;

import java.nio.file.Path;

/**
 * Where an agent keeps what it knows under its state directory — the one place that names the layout:
 * <pre>
 * agent.lock                      held while an agent uses the directory
 * journal/HASH                    what runs for a task, for the next agent to re-attach or reap
 * tasks/                          on a tmpfs of its own when the agent is root ({@code TaskFilesMount})
 * tasks/HASH/SERVICE/             a service's scratch directory (owned by the task's uid)
 * tasks/HASH/.accounts/           the task's passwd and group files (no service name starts with a dot)
 * tasks/HASH/.tmp-UID/            the task's /tmp, /var/tmp and /run/lock as its services running as UID see them
 * logs/HASH/gGENERATION/SERVICE.log   a service's log, kept past its task for a retention period
 * </pre>
 * HASH is {@link TaskIds#shortHash} of the task id: task ids are any string, these are file names.
 */
public record StateLayout(Path root) {

    public static StateLayout of(Path stateDir) {
        return new StateLayout(stateDir);
    }

    public Path lockFile() {
        return root.resolve("agent.lock");
    }

    public Path journal() {
        return root.resolve("journal");
    }

    /** Every task's scratch directories. */
    public Path tasks() {
        return root.resolve("tasks");
    }

    public Path task(String taskId) {
        return tasks().resolve(TaskIds.shortHash(taskId));
    }

    public Path workspace(String taskId, String service) {
        return task(taskId).resolve(TaskIds.checkServiceName(service));
    }

    public Path accounts(String taskId) {
        return task(taskId).resolve(".accounts");
    }

    /** The temporary directory of {@code taskId}'s services that run as {@code uid}. */
    public Path tmp(String taskId, int uid) {
        return task(taskId).resolve(".tmp-" + uid);
    }

    /** Every task's logs. */
    public Path logs() {
        return root.resolve("logs");
    }

    public Path taskLogs(String taskId) {
        return logs().resolve(TaskIds.shortHash(taskId));
    }

    public Path log(String taskId, long generation, String service) {
        return taskLogs(taskId).resolve("g" + generation).resolve(TaskIds.checkServiceName(service) + ".log");
    }
}
