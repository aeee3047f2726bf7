package io.berth.events.payload;

import io.berth.events.config.PortSpec;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code .svc} variables of one service: {@code address} = {@code host:port} of the
 * {@code default} port (or of the only port), plus every named port. {@code address} and
 * {@code port} are null when the service has neither a {@code default} port nor exactly one port.
 */
public record SvcVariables(String address, String host, Integer port, Map<String, String> addresses,
                           Map<String, Integer> ports) {
    public SvcVariables {
        addresses = addresses == null ? Map.of() : Map.copyOf(addresses);
        ports = ports == null ? Map.of() : Map.copyOf(ports);
    }

    /**
     * The variables of a service reachable on {@code host} with these ports (name → number).
     * IPv6 hosts are bracketed in addresses ({@code [::1]:5432}).
     */
    public static SvcVariables of(String host, Map<String, Integer> ports) {
        Map<String, Integer> sorted = new TreeMap<>(ports == null ? Map.of() : ports);
        Map<String, String> addresses = new TreeMap<>();
        sorted.forEach((name, number) -> addresses.put(name, address(host, number)));
        Integer main = sorted.containsKey(PortSpec.DEFAULT) ? sorted.get(PortSpec.DEFAULT)
                : sorted.size() == 1 ? sorted.values().iterator().next() : null;
        return new SvcVariables(main == null ? null : address(host, main), host, main, addresses, sorted);
    }

    /** {@code host:port}, with IPv6 literals in brackets. */
    public static String address(String host, int port) {
        boolean ipv6 = host.indexOf(':') >= 0 && !host.startsWith("[");
        return (ipv6 ? "[" + host + "]" : host) + ":" + port;
    }
}
