package io.berth.loadtest.scale;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where an orchestrator's CPU went, from its flight recording's execution samples: the methods on top of the stack
 * (self) and the Berth methods anywhere on it (inclusive), as shares of all samples.
 *
 * @param samples   execution samples in the recording
 * @param self      top frames with the most samples, "Class.method: NN %"
 * @param berth     Berth methods ({@code io.berth.}) by inclusive samples
 * @param threads   threads by samples
 * @param threadCpu threads (pools summed) by their CPU time over the recording ({@code jdk.ThreadCPULoad}), in % of
 *                  one core: unlike the samples, this counts native code too, and the JIT compilers
 */
public record Profile(String file, long samples, List<String> self, List<String> berth, List<String> threads,
                      List<String> threadCpu) {
    private static final int TOP = 15;

    public static Profile read(Path file) throws IOException {
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> berth = new HashMap<>();
        Map<String, Long> threads = new HashMap<>();
        long samples = 0;
        Map<String, Map<Long, double[]>> cpuLoads = new HashMap<>(); // pool → thread id → {sum of loads, count}
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals("jdk.ThreadCPULoad") && e.getThread() != null) {
                double[] load = cpuLoads.computeIfAbsent(pool(e.getThread().getJavaName()), k -> new HashMap<>())
                        .computeIfAbsent(e.getThread().getOSThreadId(), k -> new double[3]);
                if (load[2]++ > 0) { // a thread's first event covers its life before the recording started
                    load[0] += e.getFloat("user") + e.getFloat("system");
                    load[1]++;
                }
                continue;
            }
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            samples++;
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (!frames.isEmpty()) {
                self.merge(name(frames.get(0)), 1L, Long::sum);
            }
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                String n = name(f);
                if (n.startsWith("io.berth.") && seen.add(n)) {
                    berth.merge(n, 1L, Long::sum);
                }
            }
            var thread = e.getThread("sampledThread");
            threads.merge(thread == null ? "?" : pool(thread.getJavaName()), 1L, Long::sum);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        Map<String, Double> cpu = new HashMap<>();
        cpuLoads.forEach((pool, byThread) -> cpu.put(pool, byThread.values().stream().filter(load -> load[1] > 0)
                .mapToDouble(load -> load[0] / load[1] * cores * 100).sum()));
        List<String> threadCpu = cpu.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(TOP).map(e -> String.format(java.util.Locale.ROOT, "%s: %.1f %%", e.getKey(), e.getValue()))
                .toList();
        return new Profile(file.toString(), samples, top(self, samples), top(berth, samples), top(threads, samples),
                threadCpu);
    }

    /** Thread names without their number, so a pool shows as one. */
    private static String pool(String name) {
        return name == null ? "?" : name.replaceAll("-?\\d+$", "");
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static List<String> top(Map<String, Long> counts, long total) {
        return counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(TOP)
                .map(e -> String.format(java.util.Locale.ROOT, "%s: %.1f %%", e.getKey(), 100.0 * e.getValue() / total))
                .toList();
    }
}
