package io.berth.events.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

final class Resources {
    private Resources() {}

    /** A test resource as text, e.g. {@code proposal/task-step.yml}. */
    static String text(String name) {
        try (InputStream in = Resources.class.getResourceAsStream("/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
