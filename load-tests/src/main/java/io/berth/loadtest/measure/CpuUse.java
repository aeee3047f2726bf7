package io.berth.loadtest.measure;

import io.berth.agent.sandbox.Launcher;
import io.berth.agent.sandbox.ServiceCgroup;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time this JVM and the processes it waited for (the launch server, its relays and, through them, the
 * services) spent during a step, and how busy the machine was with everything else meanwhile. Unlike latency, CPU per task hardly depends on
 * what else runs, so it tells what a task costs: on {@code n} cores, no more than {@code n × 1000 / perTaskMs}
 * tasks/s can be sustained.
 *
 * @param jvmMs             this process (Kafka, orchestrator, agent and generator when embedded)
 * @param childrenMs        terminated children that were waited for (from /proc/self/stat cutime + cstime), and the
 *                          agent's launch server with all it reaped (relays, and through them the services)
 * @param servicesMs        the services' own processes, from their cgroups (an embedded agent only; else 0)
 * @param perTaskMs         jvm and children, per task of the step
 * @param berthPerTaskMs    Berth's own share per task: the JVM less the load generator's threads (the embedded broker
 *                          included), and its helper processes (children less services)
 * @param servicesPerTaskMs the services' own share per task
 * @param otherBusyPercent  the machine's CPU busy with other work during the step, in % of all cores
 * @param jvmPerTaskMs      the JVM's share per task, split by part (broker, Berth, generator, JIT and GC)
 */
public record CpuUse(double jvmMs, double childrenMs, double servicesMs, Double perTaskMs, Double berthPerTaskMs,
                     Double servicesPerTaskMs, Double otherBusyPercent, JvmCpuSplit jvmPerTaskMs) {
    private static final double TICK_MS = 10; // USER_HZ is 100 on Linux

    /** A reading to subtract from a later one; -1 where unknown. */
    public record Mark(long jvmNanos, long childrenTicks, long servicesNanos, long machineBusyTicks,
                       long machineTotalTicks, JvmCpuSplit.Reading threads) {}

    public static Mark mark() {
        long jvm = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            jvm = os.getProcessCpuTime();
        }
        long children = -1;
        long busy = -1;
        long total = -1;
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            children = Long.parseLong(f[13]) + Long.parseLong(f[14]) // cutime, cstime (fields 16, 17)
                    + Launcher.serverCpuTicks(); // the agent's launch server and all it reaped, while it runs
            List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
            String[] cpu = lines.get(0).trim().split("\\s+");
            total = 0;
            for (int i = 1; i <= 8 && i < cpu.length; i++) {
                total += Long.parseLong(cpu[i]);
            }
            busy = total - Long.parseLong(cpu[4]) - Long.parseLong(cpu[5]); // minus idle and iowait
        } catch (Exception e) {
            // not Linux: children and machine unknown
        }
        return new Mark(jvm, children, ServiceCgroup.cpuNanosOfRemoved(), busy, total, JvmCpuSplit.read());
    }

    public static CpuUse since(Mark start, int tasks) {
        Mark end = mark();
        double jvm = start.jvmNanos() < 0 ? 0 : (end.jvmNanos() - start.jvmNanos()) / 1e6;
        double children = start.childrenTicks() < 0 ? 0 : (end.childrenTicks() - start.childrenTicks()) * TICK_MS;
        Double other = null;
        if (start.machineTotalTicks() >= 0 && end.machineTotalTicks() > start.machineTotalTicks()) {
            double totalMs = (end.machineTotalTicks() - start.machineTotalTicks()) * TICK_MS;
            double busyMs = (end.machineBusyTicks() - start.machineBusyTicks()) * TICK_MS;
            other = Math.round(Math.max(0, busyMs - jvm - children) / totalMs * 1000) / 10.0;
        }
        double services = (end.servicesNanos() - start.servicesNanos()) / 1e6;
        JvmCpuSplit split = JvmCpuSplit.between(start.threads(), end.threads(), jvm);
        // the generator plays the CI platform: its threads are not Berth's, though they share its JVM
        double berth = jvm + children - services - split.generatorMs();
        return new CpuUse(Math.round(jvm), Math.round(children), Math.round(services), perTask(jvm + children, tasks),
                perTask(berth, tasks), perTask(services, tasks), other, split.perTask(tasks));
    }

    private static Double perTask(double ms, int tasks) {
        return tasks == 0 ? null : Math.round(ms / tasks * 10) / 10.0;
    }
}
