package io.berth.events.payload;

import java.util.Map;

/**
 * {@code berth.service.ready.v1}: the startup probe succeeded.
 *
 * @param network          the network the service is in (the task joins it)
 * @param host             address the task reaches the service on
 * @param ports            port name → number
 * @param startedAtMillis  when the service process was launched (epoch ms)
 * @param portOpenAtMillis when its ports were first seen listening (epoch ms; null if unknown)
 * @param readyAtMillis    when the probe succeeded (epoch ms)
 */
public record ServiceReady(String taskId, String service, String worker, long generation, NetworkSpec network,
                           String host,
                           Map<String, Integer> ports, long startedAtMillis, Long portOpenAtMillis,
                           long readyAtMillis) implements ServiceEvent {
    public ServiceReady {
        ports = ports == null ? Map.of() : Map.copyOf(ports);
    }
}
