package io.berth.loadtest.peer;

import io.berth.loadtest.stack.BenchStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/** Runs the peer comparison: Berth, podman-compose and the container floor, interleaved. */
public final class PeerComparison {
    /**
     * @param root        the repository root (examples/, cli/target/, load-tests/peer/)
     * @param containersConf podman engine settings for the peer (runc, ulimits, no network by default)
     * @param image       the locally built redis image
     */
    public record Settings(Path root, Path containersConf, String image, int runs, int cliRuns) {}

    private PeerComparison() {}

    public static PeerReport run(Settings settings, BenchStack stack, Consumer<String> progress) {
        Path peerDir = settings.root().resolve("load-tests/peer");
        Path composeFile = peerDir.resolve("compose.yml");
        Path shim = peerDir.resolve("podman-shim");
        for (String tool : List.of("podman", "podman-compose", "runc")) {
            if (!Commands.onPath(tool)) {
                return PeerReport.skipped(tool + " is not installed (load-tests/run installs it)");
            }
        }
        if (!Files.isRegularFile(settings.containersConf())) {
            return PeerReport.skipped("no podman settings at " + settings.containersConf());
        }
        var commands = new Commands(Map.of("CONTAINERS_CONF", settings.containersConf().toString()));
        List<String> errors = new ArrayList<>();
        try {
            if (!commands.run(List.of("podman", "image", "exists", settings.image()), 60).ok()) {
                return PeerReport.skipped("image " + settings.image() + " is missing (load-tests/run builds it)");
            }
            var compose = new ComposePeer(commands, composeFile, shim, settings.image(), Duration.ofSeconds(1));
            compose.clean();
            List<BerthPeer.BerthRun> berthRuns = new ArrayList<>();
            List<ComposePeer.ComposeRun> composeRuns = new ArrayList<>();
            List<ComposePeer.FloorRun> floorRuns = new ArrayList<>();
            List<Double> cli = new ArrayList<>();
            try (var berth = new BerthPeer(stack.bootstrapServers(), settings.root().resolve("examples/services/redis.yml"))) {
                berth.once(); // the first redis task pays for class loading; not counted
                for (int i = 0; i < settings.runs(); i++) {
                    progress.accept(String.format(Locale.ROOT, "peer run %d/%d", i + 1, settings.runs()));
                    var b = berth.once();
                    if (b.error() != null) {
                        errors.add("berth: " + b.error());
                    } else {
                        berthRuns.add(b);
                    }
                    composeRuns.add(compose.compose());
                    floorRuns.add(compose.floor());
                }
            }
            for (int i = 0; i < settings.cliRuns(); i++) {
                Double wall = BerthPeer.cliOnce(settings.root());
                if (wall == null) {
                    break;
                }
                cli.add(wall);
            }
            double berthReady = median(berthRuns, BerthPeer.BerthRun::startToReadyMs);
            double berthDown = median(berthRuns, BerthPeer.BerthRun::teardownMs);
            double composeHealthy = median(composeRuns, ComposePeer.ComposeRun::startToHealthyMs);
            double composeDown = median(composeRuns, ComposePeer.ComposeRun::downMs);
            double composeTotal = median(composeRuns, ComposePeer.ComposeRun::totalMs);
            double floorHealthy = median(floorRuns, ComposePeer.FloorRun::startToHealthyMs);
            double floorDown = median(floorRuns, ComposePeer.FloorRun::teardownMs);
            Double cliMedian = cli.isEmpty() ? null : median(cli, Double::doubleValue);
            composeRuns.stream().filter(r -> !r.taskOk()).findFirst()
                    .ifPresent(r -> errors.add("compose: the task's redis-cli ping did not answer PONG"));
            return new PeerReport(null, settings.runs(), "examples/services/redis.yml (probe: redis-cli ping)",
                    "load-tests/peer/compose.yml", "redis-cli ping every 1 s, first 1 s after start",
                    List.of("podman healthchecks are run by the benchmark on the systemd timer's schedule "
                                    + "(no systemd on this machine, so podman cannot schedule them)",
                            "podman-compose 1.0.3 ignores condition: service_healthy; the benchmark waits for "
                                    + "healthy, then starts the task with podman-compose run --no-deps",
                            "load-tests/peer/podman-shim keeps podman-compose 1.0.3 from attaching the containers "
                                    + "to its default bridge network (they use network_mode)"),
                    berthRuns, composeRuns, floorRuns, cli, berthReady, berthDown, composeHealthy, composeDown,
                    composeTotal, floorHealthy, floorDown, cliMedian, ratio(composeHealthy, berthReady),
                    ratio(floorHealthy, berthReady), ratio(composeDown, berthDown),
                    cliMedian == null ? null : ratio(composeTotal, cliMedian), errors);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return PeerReport.skipped("peer run failed: " + e.getMessage());
        }
    }

    private static <T> double median(List<T> runs, ToDoubleFunction<T> value) {
        double[] v = runs.stream().mapToDouble(value).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double ratio(double a, double b) {
        return Math.round(a / b * 10) / 10.0;
    }
}
