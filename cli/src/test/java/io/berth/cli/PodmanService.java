package io.berth.cli;

import io.berth.agent.runtime.container.EngineClient;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code podman system service} (runc) on a socket of its own, for the CLI's container tests: started
 * detached from the test JVM and stopped by its pid. Images come from the examples' own build scripts.
 */
final class PodmanService implements AutoCloseable {
    private final Path socket;
    private final Path log;
    private final ProcessHandle process;

    private PodmanService(Path socket, Path log, ProcessHandle process) {
        this.socket = socket;
        this.log = log;
        this.process = process;
    }

    /** Why container tests cannot run here, or null when they can. */
    static String unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "needs root";
        }
        if (!Files.isExecutable(Path.of("/usr/bin/podman"))) {
            return "needs podman (apt-get install podman runc)";
        }
        if (!Files.isExecutable(Path.of("/bin/busybox"))) {
            return "needs busybox-static (the test images are built from it)";
        }
        return null;
    }

    static PodmanService start() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        // not under /tmp, which the engine's prototypes see as their task's own
        Path dir = Files.createDirectories(Path.of("/run/berth-test"));
        Path socket = dir.resolve("berth-cli-podman-" + id + ".sock");
        Path log = dir.resolve("berth-cli-podman-" + id + ".log");
        // sh starts it in the background and says its pid: podman is nobody's child, and is stopped by that pid
        Process sh = new ProcessBuilder("/bin/sh", "-c", "setsid /usr/bin/podman --runtime runc system service --time=0 unix://"
                + socket + " >" + log + " 2>&1 </dev/null & echo $!").redirectErrorStream(true).start();
        long pid = Long.parseLong(new String(sh.getInputStream().readAllBytes()).strip());
        sh.waitFor();
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
        if (handle == null) {
            throw new IllegalStateException("podman system service exited at once: " + Files.readString(log));
        }
        PodmanService service = new PodmanService(socket, log, handle);
        Vertx vertx = Vertx.vertx();
        try {
            EngineClient client = new EngineClient(vertx, socket);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .ignoreExceptions()
                    .until(() -> !handle.isAlive()
                            || client.version().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS) != null);
            if (!handle.isAlive()) {
                throw new IllegalStateException("podman system service exited: " + Files.readString(log));
            }
            client.close();
        } catch (RuntimeException e) {
            service.close();
            throw e;
        } finally {
            vertx.close();
        }
        return service;
    }

    Path socket() {
        return socket;
    }

    /** Runs an example's image build script (it skips images already there). */
    static void build(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(script).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(script + " failed: " + output);
        }
    }

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.destroy();
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
            }
        }
        Files.deleteIfExists(socket);
        Files.deleteIfExists(log);
    }
}
