package io.berth.agent.runtime.container;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The open-files and process limits containers get: the agent's own, never more than the kernel's
 * ceilings ({@code fs/nr_open}, {@code kernel/pid_max}). An engine's defaults may be higher than what it may
 * grant (rootful podman without CAP_SYS_RESOURCE then fails every start; podman itself lowers its process
 * limit to {@code pid_max}), and the engine replaces its defaults by whatever list it is sent, so both
 * limits are always sent.
 */
final class HostLimits {
    private HostLimits() {}

    /** Engine {@code Ulimits} for {@code nofile} and {@code nproc}. */
    static JsonArray ulimits() {
        try {
            return ulimits(Files.readAllLines(Path.of("/proc/self/limits")), ceiling("/proc/sys/fs/nr_open"),
                    ceiling("/proc/sys/kernel/pid_max"));
        } catch (IOException e) {
            return new JsonArray();
        }
    }

    /** From {@code /proc/self/limits} lines, each limit capped at its ceiling. */
    static JsonArray ulimits(List<String> procLimits, long maxFiles, long maxProcesses) {
        JsonArray out = new JsonArray();
        for (String line : procLimits) {
            String name = line.startsWith("Max open files") ? "nofile" : line.startsWith("Max processes") ? "nproc" : null;
            if (name == null) {
                continue;
            }
            long ceiling = name.equals("nofile") ? maxFiles : maxProcesses;
            String[] f = line.trim().split("\\s{2,}");
            if (f.length >= 3) {
                out.add(new JsonObject().put("Name", name).put("Soft", value(f[1], ceiling)).put("Hard", value(f[2], ceiling)));
            }
        }
        return out;
    }

    private static long value(String limit, long ceiling) {
        return limit.equals("unlimited") ? ceiling : Math.min(Long.parseLong(limit), ceiling);
    }

    private static long ceiling(String file) {
        try {
            // not readString: it trusts the size procfs reports, and reads a byte or two
            return Long.parseLong(Files.readAllLines(Path.of(file)).get(0).strip());
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }
}
