package io.berth.events.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check the modules' cycle tests rely on sees a circle, through a chain and through a wildcard import. */
class PackageCyclesTest {
    @TempDir
    Path sources;

    @Test
    void aChainBackToTheStart_isACycle_namingTheFilesThatCloseIt() throws IOException {
        write("a/Top.java", "package x.a;\nimport x.b.Middle;\nclass Top {}\n");
        write("b/Middle.java", "package x.b;\nimport x.c.*;\nclass Middle {}\n");
        write("c/Basic.java", "package x.c;\n/** uses {@link x.a.Top} */\nclass Basic {}\n");
        write("d/Aside.java", "package x.d;\nimport x.a.Top;\nclass Aside {}\n");

        PackageCycles graph = PackageCycles.in(sources, "x");

        assertThat(graph.packages()).containsExactly("x.a", "x.b", "x.c", "x.d");
        assertThat(graph.cycles()).containsExactly(
                "x.a -> x.b [Top.java] -> x.c [Middle.java] -> x.a [Basic.java]",
                "x.b -> x.c [Middle.java] -> x.a [Basic.java] -> x.b [Top.java]",
                "x.c -> x.a [Basic.java] -> x.b [Top.java] -> x.c [Middle.java]");
    }

    @Test
    void usesInOneDirection_areNoCycle() throws IOException {
        write("a/Top.java", "package x.a;\nimport x.b.Basic;\nimport static x.b.Basic.VALUE;\nclass Top {}\n");
        write("b/Basic.java", "package x.b;\nclass Basic { static final int VALUE = 1; }\n");

        assertThat(PackageCycles.in(sources, "x").cycles()).isEmpty();
    }

    private void write(String file, String text) throws IOException {
        Path path = sources.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }
}
