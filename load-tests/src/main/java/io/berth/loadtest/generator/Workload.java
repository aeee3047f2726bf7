package io.berth.loadtest.generator;

import java.time.Duration;

/**
 * What every generated task looks like.
 *
 * @param service      the service each task asks for
 * @param servicesPerTask how many instances of it (named s1..sN, on consecutive ports)
 * @param hold         how long a task runs once its services are ready, before {@code task.ended}
 * @param network      network mode to request ({@code host} makes ports distinct per task); null: the worker's default
 * @param readyTimeout a task with no answer within this is an error (and is ended)
 * @param releaseTimeout a task not released within this after {@code task.ended} is an error
 */
public record Workload(ServiceSource service, int servicesPerTask, Duration hold, String network,
                       Duration readyTimeout, Duration releaseTimeout) {
    public static final int FIRST_PORT = 7001;

    public Workload {
        if (servicesPerTask < 1) {
            throw new IllegalArgumentException("a task needs at least one service");
        }
    }

    public boolean hostNetwork() {
        return "host".equals(network);
    }
}
