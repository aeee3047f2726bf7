package io.berth.agent.sandbox;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Users;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the launcher leaves in its private directory of requests and outputs. */
class LauncherTest {
    @TempDir
    Path requests;

    @Test
    void aRunsOutputFileNamesItsJvm_andAGoneJvmsFilesAreRemovedAtTheNextStart() throws Exception {
        assumeTrue(Users.agentIsRoot(), "the run lists root's directory of requests");
        Path dir = Path.of("/run/berth/launch");
        Exec.Result listed = Launcher.shared().run(new Launcher.Command(Sandbox.network(null), Path.of("/bin/ls"),
                List.of(dir.toString()), null, Map.of(), null), Duration.ofSeconds(10), relay -> { });
        assertThat(listed.output().lines()).as("its own output file, while it runs")
                .anyMatch(f -> f.startsWith("output-" + ProcessHandle.current().pid() + "-"));

        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path goneOutput = Files.createFile(requests.resolve("output-" + gone.pid() + "-1"));
        Path goneRequest = Files.createFile(requests.resolve("request-" + gone.pid() + "-2"));
        Path live = Files.createFile(requests.resolve("output-" + ProcessHandle.current().pid() + "-3"));
        Path foreign = Files.createFile(requests.resolve("output-x-4"));

        Launcher.removeLeftovers(requests);

        assertThat(goneOutput).doesNotExist();
        assertThat(goneRequest).doesNotExist();
        assertThat(live).exists();
        assertThat(foreign).exists();
    }
}
