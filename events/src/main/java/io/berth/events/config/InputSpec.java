package io.berth.events.config;

/** A task artifact made available to the service (read-only), under {@code path} (default: its name). */
public record InputSpec(String name, String path) {}
