package io.berth.events;

import java.util.List;
import java.util.stream.Collectors;

/** An event was rejected; {@link #errors()} lists every problem found, the message lists them too. */
public class InvalidEventException extends RuntimeException {
    private final List<ValidationError> errors;

    public InvalidEventException(List<ValidationError> errors) {
        super(describe(errors));
        this.errors = List.copyOf(errors);
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
