package io.berth.events;

import io.berth.events.validation.ValidationError;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An event was rejected; {@link #errors()} lists every problem found, the message lists them too, and
 * {@link #problem()} says what kind of rejection it is, so that callers need not read the messages.
 */
public class InvalidEventException extends RuntimeException {
    /** What is wrong with the event, as a whole. */
    public enum Problem {
        /** The record has no value. */
        EMPTY,
        /** Larger than {@link EventCodec#MAX_EVENT_BYTES}. */
        TOO_LARGE,
        /** Not JSON (or not readable as text). */
        MALFORMED,
        /** A CloudEvent whose {@code type} Berth does not know. */
        UNKNOWN_TYPE,
        /** The envelope or payload violates its schema or Berth's rules. */
        INVALID
    }

    private final Problem problem;
    private final List<ValidationError> errors;

    /** An {@link Problem#INVALID} event. */
    public InvalidEventException(List<ValidationError> errors) {
        this(Problem.INVALID, errors);
    }

    public InvalidEventException(Problem problem, List<ValidationError> errors) {
        super(describe(errors));
        this.problem = problem;
        this.errors = List.copyOf(errors);
    }

    public Problem problem() {
        return problem;
    }

    public List<ValidationError> errors() {
        return errors;
    }

    private static String describe(List<ValidationError> errors) {
        if (errors.size() == 1) {
            return "invalid event: " + errors.get(0);
        }
        return errors.stream().map(e -> "  " + e)
                .collect(Collectors.joining("\n", "invalid event (" + errors.size() + " errors):\n", ""));
    }
}
