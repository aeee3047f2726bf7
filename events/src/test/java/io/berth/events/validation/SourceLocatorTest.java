package io.berth.events.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceLocatorTest {
    @Test
    void jsonLocator_findsValuesAndKeysInNestedArrays() {
        String json = "{\"a\": [[1, 2], {\"b\": [3, {\"c\": 4}]}],\n \"d\": null}";
        SourceLocator locator = new JsonSourceLocator(json.getBytes(StandardCharsets.UTF_8));

        assertEquals(new Position(1, 1), locator.find(NodePath.ROOT, false));
        assertEquals(new Position(1, 2), locator.find(NodePath.of("a"), true));
        assertEquals(new Position(1, 12), locator.find(NodePath.of("a", 0, 1), false));
        assertEquals(new Position(1, 16), locator.find(NodePath.of("a", 1), false));
        assertEquals(new Position(1, 32), locator.find(NodePath.of("a", 1, "b", 1, "c"), false));
        assertEquals(new Position(2, 7), locator.find(NodePath.of("d"), false));
        assertNull(locator.find(NodePath.of("e"), false));
        assertEquals(new Position(1, 1), locator.nearest(NodePath.of("e", "f"), false));
    }

    @Test
    void yamlDocument_followsAnchorsAndRejectsRecursiveAliases() {
        YamlDocument shared = YamlDocument.parse("base: &p {number: 1}\nports: [*p, *p]\n");
        assertEquals(List.of(), shared.errors());
        assertEquals(1, shared.root().at("/ports/1/number").asInt());

        YamlDocument recursive = YamlDocument.parse("a: &x [1, *x]\n");
        assertEquals("$.a[1] (line 1, column 4): nesting too deep or recursive alias",
                recursive.errors().get(0).toString());
    }

    @Test
    void nodePath_printsJsonPathAndPointer() {
        NodePath path = NodePath.of("services", 0, "params", "my-var", "a/b");

        assertEquals("$.services[0].params['my-var']['a/b']", path.toString());
        assertEquals("/services/0/params/my-var/a~1b", path.toPointer());
    }
}
