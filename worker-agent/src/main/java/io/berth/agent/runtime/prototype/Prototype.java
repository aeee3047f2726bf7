package io.berth.agent.runtime.prototype;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A prototype bundle on this worker: a directory named after the prototype holding one executable per
 * message ({@code info}, {@code up}, {@code down}, ...).
 */
public record Prototype(String name, Path dir) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    /**
     * The first directory called {@code type} in {@code searchDirs}.
     *
     * @throws IllegalArgumentException naming every place looked at, when there is none
     */
    public static Prototype find(String type, List<Path> searchDirs) {
        checkName("prototype", type);
        for (Path dir : searchDirs) {
            Path candidate = dir.resolve(type);
            if (Files.isDirectory(candidate)) {
                return new Prototype(type, candidate);
            }
        }
        String looked = searchDirs.isEmpty() ? "(no prototype directories are configured)"
                : searchDirs.stream().map(d -> d.resolve(type).toString()).collect(Collectors.joining(", "));
        throw new IllegalArgumentException("unknown prototype '" + type + "': looked for " + looked
                + " (this worker's prototype directories; add more with BERTH_PROTOTYPE_PATH)");
    }

    /** The command that handles {@code message}. */
    public Path executable(String message) {
        checkName("message", message);
        return dir.resolve(message);
    }

    /** Whether the bundle has a runnable command for {@code message}. */
    public boolean has(String message) {
        Path p = executable(message);
        return Files.isRegularFile(p) && Files.isExecutable(p);
    }

    /** Prototype and message names are single path segments: nothing in a config may point elsewhere. */
    static void checkName(String what, String name) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("invalid " + what + " name '" + name
                    + "': letters, digits, '.', '_' and '-' only, starting with a letter or digit");
        }
    }

    @Override
    public String toString() {
        return "prototype '" + name + "' (" + dir + ")";
    }
}
