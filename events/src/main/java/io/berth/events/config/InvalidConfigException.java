package io.berth.events.config;

import io.berth.events.validation.ValidationError;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A service config or task step was rejected. The message lists every problem, one a line, each
 * prefixed with the source name: {@code ci/services/postgres.yml: $.ports[0].number (line 7, column 13): must be between 1 and 65535}.
 */
public class InvalidConfigException extends RuntimeException {
    private final String sourceName;
    private final List<ValidationError> errors;

    public InvalidConfigException(String sourceName, List<ValidationError> errors) {
        super(describe(sourceName, errors));
        this.sourceName = sourceName;
        this.errors = List.copyOf(errors);
    }

    /** Where the document came from, e.g. a file name. */
    public String sourceName() {
        return sourceName;
    }

    public List<ValidationError> errors() {
        return errors;
    }

    private static String describe(String sourceName, List<ValidationError> errors) {
        return errors.stream().map(e -> sourceName + ": " + e).collect(Collectors.joining("\n"));
    }
}
