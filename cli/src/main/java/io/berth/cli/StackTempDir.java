package io.berth.cli;

import io.berth.agent.os.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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

    /** A directory (not a link anyone may plant in a shared tmp) named after a process that is gone. */
    private static boolean ofAGoneProcess(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        return m.matches() && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && RunStateDirs.isGone(m.group(1));
    }

    static void delete(Path dir) {
        try {
            FileTrees.delete(dir); // never follows a link
        } catch (IOException e) {
            // a temporary directory: the next stack, or the system, removes it
        }
    }
}
