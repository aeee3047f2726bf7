package io.berth.loadtest.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shim that keeps podman-compose 1.0.3 off its default bridge network, run with podman replaced by echo. */
class PodmanShimTest {
    private static final Path SHIM = Path.of("peer/podman-shim").toAbsolutePath();

    @Test
    void runWithANetworkMode_dropsTheProjectNetworkAndAlias_keepsEverythingElse() throws Exception {
        assertThat(shim("run", "--name=x", "-d", "--network", "none", "--net", "p_default", "--network-alias", "redis",
                "--healthcheck-command", "/bin/sh -c redis-cli ping", "img", "redis-server"))
                .isEqualTo("run --name=x -d --network none --healthcheck-command /bin/sh -c redis-cli ping img redis-server");
    }

    @Test
    void runWithoutANetworkMode_isLeftAlone() throws Exception {
        assertThat(shim("run", "--net", "p_default", "img")).isEqualTo("run --net p_default img");
    }

    @Test
    void projectNetworkCommands_succeedWithoutCreatingAnything() throws Exception {
        assertThat(shim("network", "create", "--label", "a=b", "p_default")).isEmpty();
        assertThat(shim("network", "exists", "p_default")).isEmpty();
    }

    @Test
    void otherCommands_passThrough() throws Exception {
        assertThat(shim("stop", "-t", "1", "x")).isEqualTo("stop -t 1 x");
    }

    private static String shim(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(SHIM.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("BERTH_PEER_PODMAN", "echo");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
