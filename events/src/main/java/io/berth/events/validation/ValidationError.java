package io.berth.events.validation;

/**
 * One problem found in an event or a config document.
 *
 * @param path    JSON path of the offending value, e.g. {@code $.ports[0].number}
 * @param line    1-based line in the source text, or null when unknown
 * @param column  1-based column in the source text, or null when unknown
 * @param message what is wrong, e.g. {@code must be between 1 and 65535}
 */
public record ValidationError(String path, Integer line, Integer column, String message) {

    /** An error without a known source position. */
    public static ValidationError at(String path, String message) {
        return new ValidationError(path, null, null, message);
    }

    /**
     * {@code $.ports[0].number (line 7, column 13): must be between 1 and 65535}; the position is
     * left out when unknown.
     */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(path == null ? "$" : path);
        if (line != null) {
            s.append(" (line ").append(line);
            if (column != null) {
                s.append(", column ").append(column);
            }
            s.append(')');
        }
        return s.append(": ").append(message).toString();
    }
}
