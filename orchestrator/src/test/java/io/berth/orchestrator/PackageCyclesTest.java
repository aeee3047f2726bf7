package io.berth.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator's packages import each other in one direction only: a package that reaches back to one that
 * depends on it (as {@code api/} once did to the root) makes both one unit to read. Reads the sources.
 */
class PackageCyclesTest {
    private static final Path SOURCES = Path.of("src/main/java");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.berth\\.orchestrator(?:\\.[a-z0-9_]+)*)\\.[A-Z]");

    @Test
    void noPackageReachesBackToOneThatDependsOnIt() {
        Map<String, Set<String>> uses = dependencies();
        assertThat(uses).containsKeys("io.berth.orchestrator", "io.berth.orchestrator.coordinator");

        List<String> cycles = new ArrayList<>();
        for (String from : uses.keySet()) {
            for (String to : uses.get(from)) {
                if (reaches(uses, to, from)) {
                    cycles.add(from + " -> " + to + " -> ... -> " + from);
                }
            }
        }
        assertThat(cycles).isEmpty();
    }

    private static boolean reaches(Map<String, Set<String>> uses, String start, String target) {
        Deque<String> todo = new ArrayDeque<>(List.of(start));
        Set<String> seen = new TreeSet<>();
        while (!todo.isEmpty()) {
            String at = todo.pop();
            if (at.equals(target)) {
                return true;
            }
            if (seen.add(at)) {
                todo.addAll(uses.getOrDefault(at, Set.of()));
            }
        }
        return false;
    }

    private static Map<String, Set<String>> dependencies() {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(file -> {
                String source = read(file);
                Matcher pkg = PACKAGE.matcher(source);
                if (!pkg.find()) {
                    return;
                }
                Set<String> targets = uses.computeIfAbsent(pkg.group(1), p -> new TreeSet<>());
                Matcher ref = REFERENCE.matcher(source);
                while (ref.find()) {
                    if (!ref.group(1).equals(pkg.group(1))) {
                        targets.add(ref.group(1));
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return uses;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
