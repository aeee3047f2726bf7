package io.berth.events.config;

import java.util.List;

/**
 * What to run: a process {@code path} with {@code args}, in {@code dir}, as {@code user}.
 * For a prototype-based service {@code run} is a message name instead ({@code run: up}); then only
 * {@link #message} is set.
 */
public record RunSpec(String path, List<String> args, String dir, String user, String message) {
    public RunSpec {
        args = args == null ? List.of() : List.copyOf(args);
    }

    public static RunSpec ofMessage(String message) {
        return new RunSpec(null, List.of(), null, null, message);
    }

    public boolean isMessage() {
        return message != null;
    }
}
