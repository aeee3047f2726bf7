package io.berth.events.payload;

import java.util.List;

/** {@code berth.task.services.released.v1}: every service of the task is gone. */
public record TaskServicesReleased(String taskId, String worker, List<ServiceRelease> services) {
    public TaskServicesReleased {
        services = services == null ? List.of() : List.copyOf(services);
    }

    /**
     * How one service ended: {@code signal} the polite stop's signal when it complied (SIGTERM, or a container image's
     * {@code STOPSIGNAL}, e.g. SIGINT), SIGKILL (it had to be killed) or none (it was gone already).
     *
     * @param exitedAtMillis when it had exited on its own while the task ran (epoch ms); null when the release
     *                       stopped it
     */
    public record ServiceRelease(String name, String signal, long durationMillis, Integer exitCode,
                                 Long exitedAtMillis) {
        public ServiceRelease(String name, String signal, long durationMillis, Integer exitCode) {
            this(name, signal, durationMillis, exitCode, null);
        }
    }
}
