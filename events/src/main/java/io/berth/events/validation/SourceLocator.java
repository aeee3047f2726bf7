package io.berth.events.validation;

/** Finds where a node of a parsed document was written in its source text. */
public interface SourceLocator {
    /** For documents without a source text (built in memory). */
    SourceLocator NONE = (path, key) -> null;

    /**
     * The position of the value at {@code path} or, with {@code key}, of the property name that
     * introduces it; null when unknown.
     */
    Position find(NodePath path, boolean key);

    /** The position of {@code path}, else of the nearest enclosing node that has one. */
    default Position nearest(NodePath path, boolean key) {
        Position found = find(path, key);
        for (NodePath p = path; found == null && !p.isRoot(); ) {
            p = p.parent();
            found = find(p, false);
        }
        return found;
    }
}
