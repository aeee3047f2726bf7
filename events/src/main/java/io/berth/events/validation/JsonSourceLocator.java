package io.berth.events.validation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Positions of the nodes of a JSON text. The text is only re-read when a position is first asked
 * for, so valid input (the common case) pays nothing.
 */
public final class JsonSourceLocator implements SourceLocator {
    private static final JsonFactory FACTORY = new JsonFactory();

    private final byte[] json;
    private Map<String, Position> values;
    private Map<String, Position> keys;

    public JsonSourceLocator(byte[] json) {
        this.json = json;
    }

    @Override
    public synchronized Position find(NodePath path, boolean key) {
        if (values == null) {
            index();
        }
        return (key ? keys : values).get(path.toPointer());
    }

    private void index() {
        values = new HashMap<>();
        keys = new HashMap<>();
        Deque<NodePath> containers = new ArrayDeque<>();
        Deque<Integer> nextIndex = new ArrayDeque<>(); // per open container: index of its next array element
        try (JsonParser p = FACTORY.createParser(json)) {
            JsonToken token;
            NodePath pendingKey = null;
            while ((token = p.nextToken()) != null) {
                NodePath parent = containers.peek();
                if (token == JsonToken.FIELD_NAME) {
                    pendingKey = parent.property(p.currentName());
                    keys.put(pendingKey.toPointer(), position(p.currentTokenLocation()));
                    continue;
                }
                if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
                    containers.pop();
                    nextIndex.pop();
                    continue;
                }
                NodePath here;
                if (parent == null) {
                    here = NodePath.ROOT;
                } else if (pendingKey != null) {
                    here = pendingKey;
                } else {
                    int index = nextIndex.pop();
                    nextIndex.push(index + 1);
                    here = parent.index(index);
                }
                pendingKey = null;
                values.put(here.toPointer(), position(p.currentTokenLocation()));
                if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                    containers.push(here);
                    nextIndex.push(0);
                }
            }
        } catch (IOException e) {
            // Malformed text: keep what was indexed before the problem.
        }
    }

    private static Position position(JsonLocation location) {
        return new Position(location.getLineNr(), location.getColumnNr());
    }
}
