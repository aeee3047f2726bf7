package io.berth.agent.probe;

import io.berth.agent.runtime.ExecContext;
import io.berth.agent.runtime.ServiceExec;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.events.config.PortSpec;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;

import java.time.Duration;
import java.util.List;

/** The probe vocabulary: {@code Probes.forPorts(service, ports)}, {@code Probes.forCommand(...)}, {@code allOf}. */
public final class Probes {
    private Probes() {}

    /** Every port listens inside the network namespace of the service. */
    public static Probe forPorts(ServiceProcess service, List<PortSpec> ports) {
        return forPorts(service.launched().pid(), ports);
    }

    /** Every port listens inside the network namespace of process {@code pid}. */
    public static Probe forPorts(long pid, List<PortSpec> ports) {
        return new PortProbe(pid, ports);
    }

    /** The command exits 0, run exactly where and as whom the service runs. */
    public static Probe forCommand(RunSpec run, ExecContext where, Duration timeout) {
        return new CommandProbe(run, where, timeout);
    }

    /** The command exits 0, run inside the service (a container's exec). */
    public static Probe forCommand(RunSpec run, ServiceExec inside, Duration timeout) {
        return new CommandProbe(run, inside, timeout);
    }

    /** The process is still running (for services with neither ports nor a probe command). */
    public static Probe running(ServiceProcess service) {
        return new Probe() {
            @Override
            public ProbeResult check() {
                return service.isAlive() ? ProbeResult.success("running")
                        : ProbeResult.failure("exited with code " + service.exitCode());
            }

            @Override
            public Pace pace() {
                return Pace.PROC;
            }
        };
    }

    public static Probe allOf(Probe... probes) {
        return new AllOfProbe(List.of(probes));
    }

    /**
     * The startup probe a config asks for: its {@code startup_probe.run} command (timeout: one period; inside
     * the service when it is a {@link ServiceExec}, such as a container),
     * else every listed port listening, else just "it runs".
     */
    public static Probe startupProbe(ServiceConfig config, ServiceProcess service) {
        var spec = config.startupProbe();
        if (spec.run() != null && spec.run().path() != null) {
            Duration timeout = periodOf(spec.periodSeconds());
            return service instanceof ServiceExec inside ? forCommand(spec.run(), inside, timeout)
                    : forCommand(spec.run(), service.launched().execContext(), timeout);
        }
        if (!config.ports().isEmpty()) {
            return forPorts(service, config.ports());
        }
        return running(service);
    }

    static Duration periodOf(double seconds) {
        return Duration.ofNanos(Math.max(1_000_000L, Math.round(seconds * 1e9)));
    }
}
