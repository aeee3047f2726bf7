package io.berth.events.payload;

import java.util.Map;

/**
 * The {@code .svc} variables of one service: {@code address} = {@code host:port} of the
 * {@code default} port (or of the only port), plus every named port.
 */
public record SvcVariables(String address, String host, Integer port, Map<String, String> addresses,
                           Map<String, Integer> ports) {
    public SvcVariables {
        addresses = addresses == null ? Map.of() : Map.copyOf(addresses);
        ports = ports == null ? Map.of() : Map.copyOf(ports);
    }
}
