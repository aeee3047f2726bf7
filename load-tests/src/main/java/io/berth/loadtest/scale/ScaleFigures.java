package io.berth.loadtest.scale;

import java.util.List;

/**
 * What a scale-out run measured beyond the rate sweep's steps: the orchestrators' cost per live task, how fast a
 * killed instance's tasks are held again, how long task starts stall while the group rebalances, and the sweep's
 * reference rate at other partition counts.
 *
 * @param simulatedAgents        simulated workers, each linked to every instance
 * @param orchestrators          instances in the consumer group
 * @param partitions             partitions of Berth's topics
 * @param agentCapacity          each simulated worker's capacity in services (0: unlimited)
 * @param readyDelayMillis       how long after StartServices a simulated service is ready
 * @param idleCpuMillisPerSecond the instances' CPU per second with the agents linked and no task (null: not measured)
 * @param orchestratorCpuPerTaskMs per step (same order as the report's steps): the instances' CPU per task
 * @param stateRecordsPerTask    per step: records the instances wrote to the state topic per task of the step
 * @param maxSustainedTasksPerSecond the highest offered rate sustained (zero errors, no backlog)
 * @param live                   memory and state topic with live tasks (null when not measured)
 * @param restore                SIGKILL of an instance with live tasks (null when not measured)
 * @param rebalance              a step during which an instance leaves and another joins (null when not measured)
 * @param partitionSweep         the reference rate at other partition counts, each on a fresh stack
 * @param capacityRefusals       StartServices the simulated workers refused as over their capacity
 * @param profile                the first instance's flight recording over the sweep (null without --jfr)
 */
public record ScaleFigures(int simulatedAgents, int orchestrators, int partitions, int agentCapacity,
                           long readyDelayMillis, Double idleCpuMillisPerSecond,
                           List<Double> orchestratorCpuPerTaskMs, List<Double> stateRecordsPerTask,
                           Double maxSustainedTasksPerSecond, Live live,
                           Restore restore, Rebalance rebalance, List<PartitionRun> partitionSweep,
                           long capacityRefusals, Profile profile) {

    /**
     * @param heapPer10kMb       the instances' heap after a full GC, with the live tasks minus without, per 10,000
     * @param rssPer10kMb        the same for their resident set size (what the JVM took from the OS; it rarely gives
     *                           it back, so this is an upper bound of the live tasks' share)
     * @param stateBytesPerTask  bytes the state topic grew by per task, from started to ready (before compaction)
     * @param stateBytesPerTaskLifecycle the same from started to released
     */
    public record Live(int tasks, int failed, long heapBeforeBytes, long heapWithTasksBytes, double heapPer10kMb,
                       long rssBeforeBytes, long rssWithTasksBytes, double rssPer10kMb, double stateBytesPerTask,
                       Double stateBytesPerTaskLifecycle, long released) {}

    /**
     * @param restoreMillis     SIGKILL → every live task held by an instance again (berth_tasks_active)
     * @param pastSessionTimeoutMillis restoreMillis minus the group's session timeout
     * @param releasedAfter     live tasks released after the restore, when they were all ended
     */
    public record Restore(int liveTasks, String killed, long sessionTimeoutMillis, Long restoreMillis,
                          Long pastSessionTimeoutMillis, long releasedAfter, int tasksNotReleased,
                          Long replacementAnsweringMillis, Long replacementFirstTaskMillis) {}

    /**
     * @param longestStallMs the longest time between two consecutive task.services.ready in the step
     * @param maxOverheadMs  the worst task.started → task.services.ready in the step
     */
    public record Rebalance(double ratePerSecond, String left, String joined, double longestStallMs,
                            Double overheadP99Ms, Double maxOverheadMs, int tasks, int tasksWithErrors) {}

    public record PartitionRun(int partitions, double offeredTasksPerSecond, double achievedTasksPerSecond,
                               Double overheadP50Ms, Double overheadP99Ms, int tasksWithErrors, boolean sustained,
                               Double orchestratorCpuPerTaskMs) {}
}
