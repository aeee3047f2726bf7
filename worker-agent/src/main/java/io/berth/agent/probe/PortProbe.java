package io.berth.agent.probe;

import io.berth.agent.os.ProcNet;
import io.berth.events.config.PortSpec;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Every listed port is in LISTEN state in the network namespace of a process, read from
 * {@code /proc/PID/net/tcp{,6}} — nothing is spawned and nothing connects to the service.
 */
final class PortProbe implements Probe {
    private final long pid;
    private final List<PortSpec> ports;
    private final Set<Integer> numbers;

    PortProbe(long pid, List<PortSpec> ports) {
        this.pid = pid;
        this.ports = List.copyOf(ports);
        this.numbers = ports.stream().map(PortSpec::number).collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public ProbeResult check() {
        Set<Integer> listening;
        try {
            listening = ProcNet.listeningPorts(pid, numbers);
        } catch (NoSuchFileException e) {
            return ProbeResult.error("cannot read the ports of process " + pid + ": it is gone");
        } catch (IOException | RuntimeException e) {
            return ProbeResult.error("cannot read the ports of process " + pid + ": " + e.getMessage());
        }
        List<PortSpec> missing = ports.stream().filter(p -> !listening.contains(p.number())).toList();
        if (missing.isEmpty()) {
            return ProbeResult.success("listening on " + describe(ports));
        }
        return ProbeResult.failure("not listening on " + describe(missing) + " yet");
    }

    static String describe(List<PortSpec> ports) {
        return ports.stream().map(p -> PortSpec.DEFAULT.equals(p.name()) ? "port " + p.number()
                : "port " + p.number() + " (" + p.name() + ")").collect(Collectors.joining(", "));
    }

    @Override
    public Pace pace() {
        return Pace.PROC;
    }

    @Override
    public boolean nonBlocking() {
        return true;
    }
}
