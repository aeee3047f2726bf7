package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The removal of dead stacks' directories in a temporary directory anyone on the machine may write to. */
class StackTempDirTest {
    @TempDir
    Path tmp;

    @Test
    void removesOnlyTheDirectoriesOfGoneProcesses_andFollowsNoLinkPlantedUnderTheirNames() throws Exception {
        long gone = goneProcess();
        Path dead = Files.createDirectories(tmp.resolve("berth-stack-" + gone + "-1").resolve("kafka"));
        Path live = Files.createDirectories(tmp.resolve("berth-stack-" + ProcessHandle.current().pid() + "-1"));
        Path other = Files.createDirectories(tmp.resolve("berth-stacks-of-someone"));
        // another user's link, named like a dead stack's directory, to something they want root to delete
        Path victim = Files.createDirectories(tmp.resolve("victim"));
        Files.writeString(victim.resolve("keep"), "x");
        Path planted = Files.createSymbolicLink(tmp.resolve("berth-stack-" + gone + "-2"), victim);

        StackTempDir.removeDeadOnes(tmp);

        assertThat(dead.getParent()).doesNotExist();
        assertThat(live).isDirectory();
        assertThat(other).isDirectory();
        assertThat(victim.resolve("keep")).exists();
        assertThat(planted).isSymbolicLink();
    }

    /** The pid of a process that ran and exited. */
    private static long goneProcess() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }
}
