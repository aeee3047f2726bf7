package io.berth.events.payload;

/** {@code berth.task.ended.v1}: the task finished ({@code outcome}: succeeded, failed, aborted, …). */
public record TaskEnded(String taskId, String outcome) {}
