package io.berth.events.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which packages of one source tree import each other in a circle. A package that reaches back to one that depends
 * on it makes both one unit to read (and to change), so each module's {@code PackageCyclesTest} asserts there is none.
 *
 * <p>Reads the sources rather than the classes: an import, a fully qualified name or a wildcard import of a package
 * under {@code root} counts as a use (so does one in a comment, which errs on the strict side).
 */
public final class PackageCycles {
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);

    /** package → (package it uses → the files that use it) */
    private final Map<String, Map<String, Set<String>>> uses;

    private PackageCycles(Map<String, Map<String, Set<String>>> uses) {
        this.uses = uses;
    }

    /** The packages named {@code root} or below it in the Java sources under {@code sources}, and what they use. */
    public static PackageCycles in(Path sources, String root) {
        Pattern reference = Pattern.compile("\\b(" + Pattern.quote(root) + "(?:\\.[a-z0-9_]+)*)\\.(?:[A-Z]|\\*)");
        Map<String, Map<String, Set<String>>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sources)) {
            files.filter(f -> f.toString().endsWith(".java")).sorted().forEach(file -> {
                String source = read(file);
                Matcher pkg = PACKAGE.matcher(source);
                if (!pkg.find()) {
                    return;
                }
                Map<String, Set<String>> targets = uses.computeIfAbsent(pkg.group(1), p -> new TreeMap<>());
                Matcher ref = reference.matcher(source);
                while (ref.find()) {
                    if (!ref.group(1).equals(pkg.group(1))) {
                        targets.computeIfAbsent(ref.group(1), p -> new TreeSet<>()).add(file.getFileName().toString());
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new PackageCycles(uses);
    }

    /** Every package found, so a test can check that it read the tree it meant to. */
    public Set<String> packages() {
        return uses.keySet();
    }

    /**
     * One line per import that closes a circle, with the files that make it and the way back, e.g.
     * {@code io.berth.events -> io.berth.events.config (EventCodec.java) -> io.berth.events (Json.java)}; empty when the
     * packages form no circle.
     */
    public List<String> cycles() {
        List<String> cycles = new ArrayList<>();
        uses.forEach((from, targets) -> targets.forEach((to, files) -> {
            List<String> back = path(to, from);
            if (back != null) {
                StringBuilder line = new StringBuilder(from).append(" -> ").append(to).append(' ').append(files);
                for (int i = 1; i < back.size(); i++) {
                    line.append(" -> ").append(back.get(i)).append(' ')
                            .append(uses.get(back.get(i - 1)).get(back.get(i)));
                }
                cycles.add(line.toString());
            }
        }));
        return cycles;
    }

    /** The shortest chain of uses from {@code start} to {@code target}, both included; null when there is none. */
    private List<String> path(String start, String target) {
        Map<String, String> cameFrom = new HashMap<>();
        Deque<String> todo = new ArrayDeque<>(List.of(start));
        cameFrom.put(start, null);
        while (!todo.isEmpty()) {
            String at = todo.removeFirst();
            if (at.equals(target)) {
                List<String> path = new ArrayList<>();
                for (String p = at; p != null; p = cameFrom.get(p)) {
                    path.add(0, p);
                }
                return path;
            }
            for (String next : uses.getOrDefault(at, Map.of()).keySet()) {
                if (!cameFrom.containsKey(next)) {
                    cameFrom.put(next, at);
                    todo.addLast(next);
                }
            }
        }
        return null;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
