package io.berth.events.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A service config, the proposal's {@code file:}/{@code config:} document, already validated.
 *
 * @param type              prototype name for prototype-based services, else null
 * @param image             top-level image reference, else null
 * @param imageResource     image resource, else null
 * @param run               process to run (process runtime), the container command override, or the
 *                          prototype message
 * @param inputs            task artifacts made available to the service
 * @param params            environment of the service (for prototypes: the request object, written with
 *                          its nulls: to a prototype {@code key: null} and no key may differ)
 * @param ports             named ports; never empty names ("default" implied)
 * @param startupProbe      never null: {@link ProbeSpec#ports()} when unspecified
 * @param terminationGraceSeconds SIGTERM → SIGKILL delay
 * @param resources         memory and CPU limits of a container service, else null
 */
@JsonDeserialize(using = ServiceConfigs.Reader.class)
public record ServiceConfig(
        String type,
        String image,
        ImageResource imageResource,
        RunSpec run,
        List<InputSpec> inputs,
        @JsonInclude(content = JsonInclude.Include.ALWAYS) Map<String, Object> params,
        List<PortSpec> ports,
        ProbeSpec startupProbe,
        double terminationGraceSeconds,
        ResourceLimits resources) {

    public static final double DEFAULT_TERMINATION_GRACE_SECONDS = 10;

    public ServiceConfig {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        params = params == null ? Map.of() : Map.copyOf(params);
        ports = ports == null ? List.of() : List.copyOf(ports);
        startupProbe = startupProbe == null ? ProbeSpec.ports() : startupProbe;
    }

    /** A config without resource limits. */
    public ServiceConfig(String type, String image, ImageResource imageResource, RunSpec run, List<InputSpec> inputs,
                         Map<String, Object> params, List<PortSpec> ports, ProbeSpec startupProbe,
                         double terminationGraceSeconds) {
        this(type, image, imageResource, run, inputs, params, ports, startupProbe, terminationGraceSeconds, null);
    }

    public Optional<PortSpec> port(String name) {
        return ports.stream().filter(p -> p.name().equals(name)).findFirst();
    }
}
