package io.berth.events.payload;

/**
 * {@code berth.service.stopped.v1}: the service was terminated. {@code signal} is {@code SIGTERM}
 * when it exited within its grace period, {@code SIGKILL} when it had to be killed, {@code none} when
 * it was no longer running.
 */
public record ServiceStopped(String taskId, String service, String worker, long generation, String signal,
                             long durationMillis, Integer exitCode) implements ServiceEvent {}
