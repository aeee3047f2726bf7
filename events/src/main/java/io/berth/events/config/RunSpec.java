package io.berth.events.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.util.List;

/**
 * What to run: a process {@code path} with {@code args}, in {@code dir}, as {@code user}.
 * For a prototype-based service {@code run} is a message name instead ({@code run: up}); then only
 * {@link #message} is set, and the JSON form is the plain string ({@link Writer}).
 */
@JsonSerialize(using = RunSpec.Writer.class)
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

    /** A message is written as a string, a process as {@code {path, args, dir, user}}. */
    public static final class Writer extends StdSerializer<RunSpec> {
        public Writer() {
            super(RunSpec.class);
        }

        @Override
        public void serialize(RunSpec run, JsonGenerator out, SerializerProvider provider) throws IOException {
            if (run.isMessage()) {
                out.writeString(run.message());
                return;
            }
            out.writeStartObject();
            if (run.path() != null) {
                out.writeStringField("path", run.path());
            }
            if (!run.args().isEmpty()) {
                out.writeArrayFieldStart("args");
                for (String arg : run.args()) {
                    out.writeString(arg);
                }
                out.writeEndArray();
            }
            if (run.dir() != null) {
                out.writeStringField("dir", run.dir());
            }
            if (run.user() != null) {
                out.writeStringField("user", run.user());
            }
            out.writeEndObject();
        }
    }
}
