package io.berth.events.validation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A path into a JSON document: property names ({@link String}) and array indexes ({@link Integer}).
 * Prints as a JSON path ({@code $.ports[0].number}) for people and as a JSON pointer
 * ({@code /ports/0/number}) for lookups.
 */
public final class NodePath {
    public static final NodePath ROOT = new NodePath(List.of());
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final List<Object> elements;

    private NodePath(List<Object> elements) {
        this.elements = elements;
    }

    public static NodePath of(Object... elements) {
        NodePath path = ROOT;
        for (Object element : elements) {
            path = element instanceof Integer i ? path.index(i) : path.property(element.toString());
        }
        return path;
    }

    public NodePath property(String name) {
        return append(name);
    }

    public NodePath index(int index) {
        return append(index);
    }

    public NodePath resolve(NodePath relative) {
        if (relative.elements.isEmpty()) {
            return this;
        }
        List<Object> all = new ArrayList<>(elements);
        all.addAll(relative.elements);
        return new NodePath(Collections.unmodifiableList(all));
    }

    public NodePath parent() {
        return elements.isEmpty() ? this : new NodePath(elements.subList(0, elements.size() - 1));
    }

    public boolean isRoot() {
        return elements.isEmpty();
    }

    public List<Object> elements() {
        return elements;
    }

    /** The last element, or null at the root. */
    public Object last() {
        return elements.isEmpty() ? null : elements.get(elements.size() - 1);
    }

    private NodePath append(Object element) {
        List<Object> all = new ArrayList<>(elements.size() + 1);
        all.addAll(elements);
        all.add(element);
        return new NodePath(Collections.unmodifiableList(all));
    }

    public String toPointer() {
        StringBuilder s = new StringBuilder();
        for (Object e : elements) {
            s.append('/').append(e.toString().replace("~", "~0").replace("/", "~1"));
        }
        return s.toString();
    }

    /** JSON path, e.g. {@code $.ports[0].number} or {@code $.params['my-var']}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("$");
        for (Object e : elements) {
            if (e instanceof Integer) {
                s.append('[').append(e).append(']');
            } else if (PLAIN_NAME.matcher(e.toString()).matches()) {
                s.append('.').append(e);
            } else {
                s.append("['").append(e.toString().replace("\\", "\\\\").replace("'", "\\'")).append("']");
            }
        }
        return s.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodePath other && elements.equals(other.elements);
    }

    @Override
    public int hashCode() {
        return elements.hashCode();
    }
}
