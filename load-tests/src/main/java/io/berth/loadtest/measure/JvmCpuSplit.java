package io.berth.loadtest.measure;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the benchmark JVM's CPU goes, by thread name: the embedded Kafka broker, Berth's orchestrator and agent (their
 * event loops, workers, Kafka clients and gRPC), the load generator, and what no Java thread accounts for (the JIT
 * compilers and the garbage collector). A thread that ends between two readings takes its time along, so the split
 * is a lower bound per part; {@code jitAndGcMs} is the JVM's whole CPU less the threads', of which {@code jitMs} the
 * compiler threads' (read from {@code /proc}, in 10 ms ticks: the JIT still compiling after the warm-up shows there).
 *
 * @param brokerMs    Kafka broker threads: request handlers, network, coordinators, raft, controller, purgatories
 * @param berthMs     the orchestrator's and the agent's threads
 * @param generatorMs the load generator's threads (its producer, the listener, the pacing main thread)
 * @param jitAndGcMs  the rest of the JVM's CPU
 * @param jitMs       of it, the JIT compilers' threads
 * @param berthByThreadMs Berth's share by thread group (names with their numbers dropped, e.g. {@code
 *                        vert.x-eventloop-thread-}), largest first
 */
public record JvmCpuSplit(double brokerMs, double berthMs, double generatorMs, double jitAndGcMs, double jitMs,
                          Map<String, Double> berthByThreadMs) {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Thread CPU nanoseconds by part at one instant. */
    public record Reading(Map<Long, Long> nanosByThread, Map<Long, String> partByThread, Map<Long, String> groupByThread,
                          double jitMillis) {}

    public static Reading read() {
        Map<Long, Long> nanos = new HashMap<>();
        Map<Long, String> parts = new HashMap<>();
        Map<Long, String> groups = new HashMap<>();
        for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (t == null) {
                continue;
            }
            long cpu = THREADS.getThreadCpuTime(t.getThreadId());
            if (cpu >= 0) {
                nanos.put(t.getThreadId(), cpu);
                parts.put(t.getThreadId(), partOf(t.getThreadName()));
                groups.put(t.getThreadId(), t.getThreadName().replaceAll("\\d+", ""));
            }
        }
        return new Reading(nanos, parts, groups, JitCpu.millis());
    }

    /** The split of {@code jvmMs} between two readings. */
    public static JvmCpuSplit between(Reading start, Reading end, double jvmMs) {
        Map<String, Double> ms = new HashMap<>();
        Map<String, Double> berthGroups = new HashMap<>();
        end.nanosByThread().forEach((id, nanos) -> {
            double used = (nanos - start.nanosByThread().getOrDefault(id, 0L)) / 1e6;
            ms.merge(end.partByThread().get(id), used, Double::sum);
            if ("berth".equals(end.partByThread().get(id))) {
                berthGroups.merge(end.groupByThread().get(id), used, Double::sum);
            }
        });
        double broker = ms.getOrDefault("broker", 0.0);
        double berth = ms.getOrDefault("berth", 0.0);
        double generator = ms.getOrDefault("generator", 0.0);
        double rest = Math.max(0, jvmMs - broker - berth - generator);
        double jit = start.jitMillis() < 0 || end.jitMillis() < 0 ? 0 : end.jitMillis() - start.jitMillis();
        return new JvmCpuSplit(Math.round(broker), Math.round(berth), Math.round(generator), Math.round(rest),
                Math.round(Math.min(rest, jit)), berthGroups);
    }

    static String partOf(String thread) {
        if (thread.startsWith("load-test") || thread.equals("main") || thread.endsWith("| berth-load-test")) {
            return "generator";
        }
        if (thread.startsWith("vert.x-") || thread.startsWith("berth-") || thread.contains("| berth-")
                || thread.startsWith("grpc") || thread.startsWith("process reaper") || thread.startsWith("ForkJoinPool")
                || thread.startsWith("globalEventExecutor") || thread.startsWith("CompletableFuture")) {
            return "berth";
        }
        return "broker"; // the embedded broker's threads have many names (kafka-*, data-plane-*, executor-*, ...)
    }

    public JvmCpuSplit perTask(int tasks) {
        if (tasks == 0) {
            return null;
        }
        Map<String, Double> groups = new LinkedHashMap<>();
        berthByThreadMs.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .filter(e -> e.getValue() / tasks >= 0.05)
                .forEach(e -> groups.put(e.getKey(), r(e.getValue() / tasks)));
        return new JvmCpuSplit(r(brokerMs / tasks), r(berthMs / tasks), r(generatorMs / tasks), r(jitAndGcMs / tasks),
                r(jitMs / tasks), groups);
    }

    private static double r(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
