package io.berth.events.config;

/** A named port the service listens on; {@code name} is {@code "default"} when omitted. */
public record PortSpec(String name, int number) {
    public static final String DEFAULT = "default";
}
