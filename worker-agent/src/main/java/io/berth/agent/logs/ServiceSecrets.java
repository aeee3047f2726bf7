package io.berth.agent.logs;

import io.berth.events.config.Secrets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The secret param values of the services this agent started, so that what it hands out (log chunks, log tails)
 * can be masked. Kept in memory only — secrets are never written down by Berth — for the most recent tasks.
 * Thread-safe.
 */
public final class ServiceSecrets {
    private static final int REMEMBERED_SERVICES = 8192;

    private final Map<String, Set<String>> values = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Set<String>> eldest) {
            return size() > REMEMBERED_SERVICES;
        }
    };

    /** Remembers the secrets among the service's params (the config's, after the task's overrides). */
    public synchronized void remember(String taskId, String service, Map<String, ?> params) {
        Set<String> secrets = Secrets.values(params);
        if (!secrets.isEmpty()) {
            values.put(key(taskId, service), Set.copyOf(secrets));
        }
    }

    public synchronized Set<String> of(String taskId, String service) {
        return values.getOrDefault(key(taskId, service), Set.of());
    }

    /** {@code text} with the service's secrets masked. */
    public String mask(String taskId, String service, String text) {
        return Secrets.mask(text, ordered(of(taskId, service)));
    }

    private static java.util.List<String> ordered(Set<String> secrets) {
        return secrets.stream().sorted((a, b) -> b.length() - a.length()).toList();
    }

    private static String key(String taskId, String service) {
        return taskId + "\u0000" + service;
    }
}
