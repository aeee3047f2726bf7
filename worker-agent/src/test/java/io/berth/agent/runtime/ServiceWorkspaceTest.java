package io.berth.agent.runtime;

import io.berth.agent.sandbox.Sandbox;
import io.berth.events.config.InputSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceWorkspaceTest {
    final io.berth.agent.testing.Cleanup cleanup = new io.berth.agent.testing.Cleanup();
    Path state;
    ServiceWorkspace ws;

    @BeforeEach
    void setUp() throws Exception {
        state = cleanup.stateDir();
        ws = ServiceWorkspace.create(state, "task/../../etc", "postgres", null);
    }

    @AfterEach
    void tearDown() throws Exception {
        cleanup.run();
    }

    @Test
    void taskIdsAreHashed_soTheyCannotTraverse() {
        assertTrue(ws.dir().startsWith(state.resolve("tasks")));
        assertEquals("postgres", ws.dir().getFileName().toString());
        assertTrue(ws.dir().getParent().getFileName().toString().matches("[0-9a-f]{12}"));
    }

    @Test
    void runDir_staysInside() throws Exception {
        assertEquals(ws.dir(), ws.workDir(null));
        assertEquals(ws.dir(), ws.workDir("."));
        assertEquals(ws.dir().resolve("a/b"), ws.workDir("a/b"));
        assertTrue(Files.isDirectory(ws.dir().resolve("a/b")));
        assertThrows(IllegalArgumentException.class, () -> ws.workDir("/data"));
        assertThrows(IllegalArgumentException.class, () -> ws.workDir("../other"));
        assertThrows(IllegalArgumentException.class, () -> ws.workDir("a/../../x"));
    }

    @Test
    void inputs_areBoundUnderTheirPathOrName() throws Exception {
        Path artifact = Files.createDirectory(state.resolve("artifact"));
        Path file = Files.writeString(state.resolve("seed.sql"), "select 1");

        var binds = ws.inputBinds(List.of(new InputSpec("seed-sql", null), new InputSpec("fixtures", "db/fixtures")),
                Map.of("seed-sql", file.toString(), "fixtures", artifact.toString()), true);

        assertEquals(List.of(new Sandbox.Bind(file, ws.dir().resolve("seed-sql")),
                new Sandbox.Bind(artifact, ws.dir().resolve("db/fixtures"))), binds);
        assertTrue(Files.isRegularFile(ws.dir().resolve("seed-sql")), "a file is bound on a file");
        assertTrue(Files.isDirectory(ws.dir().resolve("db/fixtures")), "a directory on a directory");
    }

    @Test
    void inputs_withUnsafeNamesOrPaths_orNotProvided_areRejected() {
        String artifact = state.toString();
        var e1 = assertThrows(IllegalArgumentException.class,
                () -> ws.inputBinds(List.of(new InputSpec("../x", null)), Map.of("../x", artifact), true));
        assertTrue(e1.getMessage().contains("must not contain '/' or '..'"), e1.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ws.inputBinds(List.of(new InputSpec("a/b", null)), Map.of("a/b", artifact), true));
        assertThrows(IllegalArgumentException.class,
                () -> ws.inputBinds(List.of(new InputSpec("x", "../../etc")), Map.of("x", artifact), true));
        assertThrows(IllegalArgumentException.class,
                () -> ws.inputBinds(List.of(new InputSpec("x", "/etc")), Map.of("x", artifact), true));
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> ws.inputBinds(List.of(new InputSpec("seed", null)), Map.of(), true));
        assertEquals("input 'seed' was not provided by the task", e2.getMessage());
    }

    @Test
    void remove_deletesTheTreeButNeverFollowsLinks() throws Exception {
        Path outside = Files.createDirectory(state.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "x");
        Files.createSymbolicLink(ws.dir().resolve("link"), outside);
        Files.writeString(ws.workDir("sub").resolve("file"), "y");

        ws.remove();
        ws.remove();

        assertFalse(Files.exists(ws.dir()));
        assertTrue(Files.exists(outside.resolve("keep")));
        ServiceWorkspace.removeTask(state, "task/../../etc");
        assertFalse(Files.exists(ws.dir().getParent()), "task dir removed");
    }

    @Test
    void createdAgain_overALeftover_startsEmpty_andTheTaskDirectoryListsNothing() throws Exception {
        Files.writeString(ws.dir().resolve("left-by-a-crashed-agent"), "x");
        Path link = ws.dir().resolve("link");
        Path outside = Files.createDirectory(state.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "x");
        Files.createSymbolicLink(link, outside);

        ServiceWorkspace again = ServiceWorkspace.create(state, "task/../../etc", "postgres", null);
        ServiceWorkspace second = ServiceWorkspace.create(state, "task/../../etc", "redis", null);

        try (var entries = Files.list(again.dir())) {
            assertEquals(0, entries.count(), "a leftover's files are gone");
        }
        assertTrue(Files.exists(outside.resolve("keep")), "its links were not followed");
        assertTrue(Files.isDirectory(second.dir()));
        assertEquals("rwx--x--x", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(second.dir().getParent())), "the task's directory");
        assertEquals("rwx--x--x", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state.resolve("tasks"))));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(second.dir())), "a service's own");
    }
}
