package io.berth.events;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a task's inputs ({@code task.started.inputs}: name → path on the worker) may lie: under one of the
 * directories the operator set ({@code BERTH_INPUT_ROOTS}, colon-separated absolute paths), never under the agent's
 * own state (other tasks' scratch directories, logs, journal). A task names paths; it never chooses which parts of
 * the worker it may reach.
 *
 * <p>{@link #refusal(String)} checks the path as written (the orchestrator's door: the path is on another machine);
 * {@link #refusalOnThisMachine(String)} also follows symbolic links (the agent, where the input is used), so a link
 * under a root that points elsewhere is refused too.
 */
public final class InputRoots {
    /** The environment variable the roots come from. */
    public static final String VARIABLE = "BERTH_INPUT_ROOTS";

    private final List<Path> roots;
    private final List<Path> excluded;

    private InputRoots(List<Path> roots, List<Path> excluded) {
        this.roots = List.copyOf(roots);
        this.excluded = List.copyOf(excluded);
    }

    /** No roots: every input is refused. */
    public static InputRoots none() {
        return new InputRoots(List.of(), List.of());
    }

    /** From a colon-separated list of absolute directories; null or blank: none. */
    public static InputRoots parse(String value) {
        List<Path> roots = new ArrayList<>();
        if (value != null) {
            for (String part : value.split(":")) {
                if (part.isBlank()) {
                    continue;
                }
                Path p = Path.of(part.trim());
                if (!p.isAbsolute()) {
                    throw new IllegalArgumentException(VARIABLE + ": '" + part + "' is not an absolute path");
                }
                roots.add(p.normalize());
            }
        }
        return new InputRoots(roots, List.of());
    }

    /** From {@code $BERTH_INPUT_ROOTS}, or {@code fallback} when it is not set. */
    public static InputRoots fromEnvironment(InputRoots fallback) {
        String value = System.getenv(VARIABLE);
        return value == null || value.isBlank() ? fallback : parse(value);
    }

    public static InputRoots of(List<Path> roots) {
        return new InputRoots(roots.stream().map(p -> p.toAbsolutePath().normalize()).toList(), List.of());
    }

    /** The same roots, with {@code dir} (and everything under it) refused even where a root contains it. */
    public InputRoots excluding(Path dir) {
        List<Path> out = new ArrayList<>(excluded);
        out.add(dir.toAbsolutePath().normalize());
        return new InputRoots(roots, out);
    }

    public List<Path> roots() {
        return roots;
    }

    public boolean isEmpty() {
        return roots.isEmpty();
    }

    /** Why {@code path} may not be an input, judged as written; null when it may. */
    public String refusal(String path) {
        if (path == null || path.isBlank()) {
            return "no path given";
        }
        if (path.indexOf('\0') >= 0) {
            return "the path contains NUL";
        }
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            return "'" + path + "' is not an absolute path";
        }
        for (Path part : p) {
            if (part.toString().equals("..")) {
                return "'" + path + "' contains '..'";
            }
        }
        return refusal(p.normalize(), path);
    }

    /** Why {@code path} may not be an input on this machine, symbolic links followed; null when it may. */
    public String refusalOnThisMachine(String path) {
        String written = refusal(path);
        if (written != null) {
            return written;
        }
        Path real;
        try {
            real = Path.of(path).toRealPath();
        } catch (IOException e) {
            return "'" + path + "' does not exist on this worker";
        }
        String resolved = refusal(real, path + " (" + real + ")");
        if (resolved != null) {
            return resolved;
        }
        for (Path root : roots) { // a root that is itself a link: compare with where it leads
            try {
                if (real.startsWith(root.toRealPath()) && !isExcluded(real)) {
                    return null;
                }
            } catch (IOException e) {
                // a root that does not exist holds nothing
            }
        }
        return null;
    }

    private String refusal(Path normalized, String shown) {
        if (isExcluded(normalized)) {
            return "'" + shown + "' is inside the agent's own state (other tasks' files)";
        }
        if (roots.isEmpty()) {
            return "this worker takes no inputs: its operator set no input roots (" + VARIABLE + ")";
        }
        for (Path root : roots) {
            if (normalized.startsWith(root)) {
                return null;
            }
        }
        return "'" + shown + "' is not under an input root of this worker (" + VARIABLE + ": "
                + String.join(":", roots.stream().map(Path::toString).toList()) + ")";
    }

    private boolean isExcluded(Path p) {
        for (Path dir : excluded) {
            if (p.startsWith(dir)) {
                return true;
            }
            try {
                if (Files.exists(dir) && p.startsWith(dir.toRealPath())) {
                    return true;
                }
            } catch (IOException e) {
                // gone: nothing of it to reach
            }
        }
        return false;
    }
}
