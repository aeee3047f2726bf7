package io.berth.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Prototype bundles written by a test: a directory per prototype with one executable per message, readable
 * and runnable by the service users. Lives inside the test's state directory, so {@link Cleanup} removes it.
 */
public final class TestPrototypes {
    /** An {@code info} that prints its request and answers that it supports {@code messages}. */
    public static String info(String... messages) {
        StringBuilder list = new StringBuilder();
        for (String m : messages) {
            list.append(list.isEmpty() ? "" : ",").append('"').append(m).append('"');
        }
        return answer("{\"interface_version\":\"1.0\",\"messages\":[" + list + "]}");
    }

    /** An {@code info} that prints its request and writes {@code response} to its response_path. */
    public static String answer(String response) {
        return """
                #!/usr/bin/perl
                use JSON::PP;
                my $text = do { local $/; <STDIN> };
                print "info request: $text\\n";
                my $request = decode_json($text);
                open my $out, '>', $request->{response_path} or die "response_path: $!";
                print $out q{%s};
                """.formatted(response);
    }

    private final Path root;

    public TestPrototypes(Path root) throws IOException {
        this.root = root;
        Files.createDirectories(root);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    public Path dir() {
        return root;
    }

    /** Writes prototype {@code name}: message name → script (a {@code #!} line first, else /bin/sh). */
    public Path write(String name, Map<String, String> messages) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (var e : messages.entrySet()) {
            String script = e.getValue().startsWith("#!") ? e.getValue() : "#!/bin/sh\n" + e.getValue() + "\n";
            Path file = dir.resolve(e.getKey());
            Files.writeString(file, script);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return dir;
    }
}
