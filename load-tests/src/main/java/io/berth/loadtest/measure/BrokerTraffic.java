package io.berth.loadtest.measure;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * What the embedded broker was asked to do per task: requests by type (a produce, a consumer's fetch, an offset
 * commit) and records appended by topic, from the broker's own counters in this JVM. Most of the broker's CPU is per
 * request, not per byte, so this is what a change to how Berth writes and reads Kafka moves. Empty maps when no broker
 * runs in this JVM ({@code --bootstrap}).
 *
 * @param requests requests per task by type (Kafka's request names: Produce, Fetch, OffsetCommit, ...)
 * @param records  records per task by topic
 */
public record BrokerTraffic(Map<String, Double> requests, Map<String, Double> records) {
    private static final MBeanServer BEANS = ManagementFactory.getPlatformMBeanServer();

    /** The broker's cumulative counters at one instant, by "request NAME" and "topic NAME". */
    public record Reading(Map<String, Long> counts) {}

    public static Reading read() {
        Map<String, Long> counts = new TreeMap<>();
        add(counts, "kafka.network:type=RequestMetrics,name=RequestsPerSec,*", "request");
        add(counts, "kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,*", "topic");
        return new Reading(counts);
    }

    private static void add(Map<String, Long> counts, String pattern, String key) {
        try {
            for (ObjectName name : BEANS.queryNames(new ObjectName(pattern), null)) {
                String which = name.getKeyProperty(key);
                if (which != null && !countedTwice(key, which) && BEANS.getAttribute(name, "Count") instanceof Long n) {
                    counts.merge(key + " " + which, n, Long::sum); // one per request version: summed
                }
            }
        } catch (JMException e) {
            // no broker here, or it is gone: nothing to count
        }
    }

    /** FetchConsumer and FetchFollower count again what Fetch counts. */
    private static boolean countedTwice(String key, String which) {
        return key.equals("request") && which.startsWith("Fetch") && !which.equals("Fetch");
    }

    /** Per task between two readings; types and topics that saw less than 0.05 a task are left out. */
    public static BrokerTraffic between(Reading start, Reading end, int tasks) {
        Map<String, Double> requests = new LinkedHashMap<>();
        Map<String, Double> records = new LinkedHashMap<>();
        if (tasks == 0) {
            return new BrokerTraffic(requests, records);
        }
        end.counts().forEach((what, n) -> {
            double perTask = Math.round((n - start.counts().getOrDefault(what, 0L)) * 100.0 / tasks) / 100.0;
            if (perTask >= 0.05) {
                if (what.startsWith("request ")) {
                    requests.put(what.substring("request ".length()), perTask);
                } else {
                    records.put(what.substring("topic ".length()), perTask);
                }
            }
        });
        return new BrokerTraffic(requests, records);
    }
}
