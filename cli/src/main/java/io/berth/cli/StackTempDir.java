package io.berth.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The private temporary directory (0700) of a stack started without a data directory ({@code berth run}, {@code berth
 * up}): Kafka's data and the stack's certificates, removed when the stack closes. Its name carries the process id: a
 * stack whose process was killed (SIGKILL; a CI runner's timeout) cannot remove it, so the next stack started on the
 * machine removes those whose process is gone.
 */
final class StackTempDir {
    private static final String PREFIX = "berth-stack-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-.+");

    private StackTempDir() {}

    /** A new directory for this process's stack, after removing those of stacks whose process is gone. */
    static Path create() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        removeDeadOnes(tmp);
        return Files.createTempDirectory(tmp, PREFIX + ProcessHandle.current().pid() + "-");
    }

    /** Removes the directories in {@code tmp} of stacks whose process no longer runs. */
    static void removeDeadOnes(Path tmp) {
        try (Stream<Path> dirs = Files.list(tmp)) {
            dirs.filter(StackTempDir::ofAGoneProcess).forEach(StackTempDir::delete);
        } catch (IOException e) {
            // leftovers stay for the next stack; nothing depends on their removal
        }
    }

    private static boolean ofAGoneProcess(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        if (!m.matches() || !Files.isDirectory(dir)) {
            return false;
        }
        try {
            return ProcessHandle.of(Long.parseLong(m.group(1))).map(p -> !p.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory: the next stack, or the system, removes it
        }
    }
}
