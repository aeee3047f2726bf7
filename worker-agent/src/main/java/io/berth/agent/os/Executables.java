package io.berth.agent.os;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

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
        return resolve(program, workDir, searchPath, path -> false);
    }

    /**
     * The same, for a program that does not see what {@code hidden} says (the host's temporary directories, which a
     * sandbox covers with its task's own): a program there is not there for it.
     */
    public static Path resolve(String program, Path workDir, String searchPath, Predicate<Path> hidden) {
        if (program == null || program.isBlank()) {
            throw new IllegalArgumentException("nothing to run: run.path is empty");
        }
        if (program.contains("/")) {
            Path p = workDir.resolve(program).normalize();
            if (hidden.test(p)) {
                throw new IllegalArgumentException("cannot run " + program + ": a service does not see the host's "
                        + "/tmp, /var/tmp and /run/lock (it has its task's own): bring the program as a task input, "
                        + "or keep it elsewhere");
            }
            check(program, p);
            return p;
        }
        String path = searchPath == null ? "/usr/local/bin:/usr/bin:/bin" : searchPath;
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = workDir.resolve(dir).resolve(program).normalize();
            if (Files.isRegularFile(p) && Files.isExecutable(p) && !hidden.test(p)) {
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
