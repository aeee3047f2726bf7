package io.berth.events.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;

/** What every accepted {@link ServiceConfig} guarantees its runtimes, whatever text it was read from. */
public final class ConfigInvariants {
    /** A name that is one safe path segment and a valid {@code ((.svc:NAME.…))} part. */
    public static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
    /** Prototype and message names: one path segment, never {@code ..}. */
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private ConfigInvariants() {}

    public static void check(ServiceConfig config) {
        assertThat(config.type() != null || config.image() != null || config.imageResource() != null
                || config.run() != null && config.run().path() != null).as("something to run").isTrue();
        if (config.type() != null) {
            assertThat(config.type()).matches(SEGMENT).doesNotContain("..");
            assertThat(config.run().message()).matches(SEGMENT).doesNotContain("..");
        }
        config.ports().forEach(port -> {
            assertThat(port.name()).matches(SAFE_NAME);
            assertThat(port.number()).isBetween(1, 65535);
        });
        assertThat(config.ports().stream().map(PortSpec::name).distinct().count()).isEqualTo(config.ports().size());
        ProbeSpec probe = config.startupProbe();
        assertThat(probe.failureThreshold()).isPositive();
        assertThat(probe.periodSeconds()).isPositive().isFinite();
        // Compared as numbers: -0.0 (which "minimum: 0" lets through) is a grace of zero, not a negative one.
        assertThat(config.terminationGraceSeconds() >= 0).as("grace %s not below zero", config.terminationGraceSeconds()).isTrue();
        assertThat(config.terminationGraceSeconds()).isFinite();
        if (config.resources() != null) {
            assertThat(config.resources().memory() == null || config.resources().memoryBytes() > 0).isTrue();
            assertThat(config.resources().cpus() == null || config.resources().cpus() > 0).isTrue();
        }
    }
}
