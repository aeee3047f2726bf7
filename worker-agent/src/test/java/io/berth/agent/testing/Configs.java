package io.berth.agent.testing;

import io.berth.events.config.InputSpec;
import io.berth.events.config.PortSpec;
import io.berth.events.config.ProbeSpec;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;

import java.util.List;
import java.util.Map;

/** Service configs for tests, built like a user would write them. */
public final class Configs {
    private Configs() {}

    public static RunSpec run(String path, String... args) {
        return new RunSpec(path, List.of(args), null, null, null);
    }

    public static RunSpec runAs(String user, String path, String... args) {
        return new RunSpec(path, List.of(args), null, user, null);
    }

    public static ServiceConfig service(RunSpec run, List<PortSpec> ports, ProbeSpec probe, double grace) {
        return new ServiceConfig(null, null, null, run, List.of(), Map.of(), ports, probe, grace);
    }

    public static ServiceConfig service(RunSpec run, List<PortSpec> ports, ProbeSpec probe, double grace,
                                        Map<String, Object> params, List<InputSpec> inputs) {
        return new ServiceConfig(null, null, null, run, inputs, params, ports, probe, grace);
    }

    public static PortSpec port(int number) {
        return new PortSpec(PortSpec.DEFAULT, number);
    }

    public static PortSpec port(String name, int number) {
        return new PortSpec(name, number);
    }

    public static ProbeSpec probe(RunSpec run, int threshold, double period) {
        return new ProbeSpec(run, threshold, period);
    }

    public static ProbeSpec ports(int threshold, double period) {
        return new ProbeSpec(null, threshold, period);
    }
}
