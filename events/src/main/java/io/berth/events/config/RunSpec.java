package io.berth.events.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;

/**
 * What to run: a process {@code path} with {@code args}, in {@code dir}, as {@code user}.
 * For a prototype-based service {@code run} is a message name instead ({@code run: up}); then only
 * {@link #message} is set, and the JSON form is the plain string.
 */
public record RunSpec(String path, List<String> args, String dir, String user, String message) {
    /** The message a prototype-based service is started with when {@code run} is left out. */
    public static final String DEFAULT_MESSAGE = "up";

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public RunSpec {
        args = args == null ? List.of() : List.copyOf(args);
    }

    /** A prototype message, e.g. {@code up}. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static RunSpec ofMessage(String message) {
        return new RunSpec(null, List.of(), null, null, message);
    }

    /** A process: {@code path} and {@code args}. */
    public static RunSpec ofProcess(String path, String... args) {
        return new RunSpec(path, List.of(args), null, null, null);
    }

    @JsonIgnore
    public boolean isMessage() {
        return message != null;
    }
}
