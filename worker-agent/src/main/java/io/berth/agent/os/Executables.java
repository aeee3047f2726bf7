package io.berth.agent.os;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the program a service or probe names, so "no such file" is reported before anything is spawned. */
public final class Executables {
    private Executables() {}

    /**
     * Resolves {@code program}: with a '/' relative to {@code workDir}, else on {@code searchPath}
     * (the service's PATH).
     *
     * @throws IllegalArgumentException with a human-readable message when there is nothing to run
     */
    public static Path resolve(String program, Path workDir, String searchPath) {
        if (program == null || program.isBlank()) {
            throw new IllegalArgumentException("nothing to run: run.path is empty");
        }
        if (program.contains("/")) {
            Path p = workDir.resolve(program).normalize();
            check(program, p);
            return p;
        }
        String path = searchPath == null ? "/usr/local/bin:/usr/bin:/bin" : searchPath;
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = workDir.resolve(dir).resolve(program).normalize();
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException("cannot run " + program + ": not found in PATH " + path);
    }

    private static void check(String program, Path p) {
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("cannot run " + program + ": no such file");
        }
        if (Files.isDirectory(p)) {
            throw new IllegalArgumentException("cannot run " + program + ": is a directory");
        }
        if (!Files.isExecutable(p)) {
            throw new IllegalArgumentException("cannot run " + program + ": not executable");
        }
    }
}
