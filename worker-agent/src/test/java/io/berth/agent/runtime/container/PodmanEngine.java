package io.berth.agent.runtime.container;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Users;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.berth.agent.testing.Await.result;

/**
 * A private {@code podman system service} for tests, on its own socket, with this machine's workarounds
 * (runc; the runtime always sends ulimits and never uses the default bridge network). It runs detached
 * from the test JVM (the tests' cleanup kills the JVM's child processes) and is stopped by pid.
 *
 * <p>Its configuration sets no default sysctls: podman 4.3 writes {@code net.ipv4.ping_group_range} into the
 * network namespace a container joins, which root in a user namespace may not (see the README on
 * {@code BERTH_CONTAINER_USERNS}).
 *
 * <p>The test image {@value #BUSYBOX} is a busybox-static tree ({@code /bin/busybox} of the Debian package
 * {@code busybox-static}) imported once and kept between runs on purpose: it is 2 MB and no registry is
 * reachable to pull anything.
 */
final class PodmanEngine {
    /**
     * How long the tests' own calls to the engine (listing, inspecting) may take: podman has been seen not answering
     * for over 30 s within a full suite run (see {@link #tidy}).
     */
    private static final Duration HOUSEKEEPING = Duration.ofSeconds(120);
    /** How long a test's clean-up waits for each call to the engine ({@link #tidy}). */
    private static final Duration TIDYING = Duration.ofSeconds(30);

    /** Tag 2: its {@code /tmp} is writable by every user (1777), as containers may run as nobody. */
    static final String BUSYBOX = "localhost/berth-test/busybox:2";
    private static final Path BUSYBOX_BINARY = Path.of("/bin/busybox");

    final Path socket;
    final Path logFile;
    private final Path configFile;
    private final ProcessHandle process;

    private PodmanEngine(Path socket, Path logFile, Path configFile, ProcessHandle process) {
        this.socket = socket;
        this.logFile = logFile;
        this.configFile = configFile;
        this.process = process;
    }

    /** Why podman tests cannot run here, or null when they can. */
    static String unavailable() {
        if (!Users.agentIsRoot()) {
            return "needs root";
        }
        if (!Files.isExecutable(Path.of("/usr/bin/podman"))) {
            return "needs podman (apt-get install podman runc)";
        }
        if (!Files.isExecutable(BUSYBOX_BINARY) || !isStatic(BUSYBOX_BINARY)) {
            return "needs a static /bin/busybox (apt-get install busybox-static)";
        }
        return null;
    }

    private static boolean isStatic(Path binary) {
        try {
            Exec.Result r = Exec.run(List.of("/usr/bin/ldd", binary.toString()), Duration.ofSeconds(5));
            return !r.ok() || r.output().contains("not a dynamic executable");
        } catch (IOException e) {
            return true;
        }
    }

    static PodmanEngine start(Vertx vertx) throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Path socket = Path.of("/tmp", "berth-podman-" + id + ".sock");
        Path log = Path.of("/tmp", "berth-podman-" + id + ".log");
        Path conf = Files.writeString(Path.of("/tmp", "berth-podman-" + id + ".conf"), "[containers]\ndefault_sysctls = []\n");
        // sh starts it in the background and exits: podman is then nobody's child, and says its pid
        Exec.Result r = Exec.run(List.of("/bin/sh", "-c", "CONTAINERS_CONF=" + conf
                + " setsid /usr/bin/podman --runtime runc system service --time=0 unix://"
                + socket + " >" + log + " 2>&1 </dev/null & echo $!"), Duration.ofSeconds(10));
        long pid = Long.parseLong(r.output().strip());
        ProcessHandle handle = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(
                "podman system service exited at once: " + read(log)));
        PodmanEngine engine = new PodmanEngine(socket, log, conf, handle);
        EngineClient client = new EngineClient(vertx, socket);
        try {
            // wait for the engine to answer (or to die), not for a fixed time
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .ignoreExceptions()
                    .until(() -> !handle.isAlive() || result(client.version(), Duration.ofSeconds(5)) != null);
            if (!handle.isAlive()) {
                throw new IllegalStateException("it exited");
            }
        } catch (Exception e) {
            engine.stop();
            client.close();
            throw new IllegalStateException("podman system service did not answer on " + socket + ": "
                    + e.getMessage() + "; its log: " + read(log));
        }
        client.close();
        return engine;
    }

    /** Imports the busybox test image unless it is there already. */
    void ensureBusybox(EngineClient client) throws Exception {
        ensureBusybox(client, BUSYBOX);
    }

    /**
     * Imports the busybox tree as {@code image} unless it is there already, with Dockerfile instructions applied
     * ({@code podman import --change}, e.g. {@code STOPSIGNAL=SIGINT}).
     */
    void ensureBusybox(EngineClient client, String image, String... changes) throws Exception {
        try {
            result(client.inspectImage(image), HOUSEKEEPING);
            return;
        } catch (EngineException e) {
            if (!EngineException.isNotFound(e)) {
                throw e;
            }
        }
        Path dir = Files.createTempDirectory("berth-busybox");
        try {
            Path bin = Files.createDirectories(dir.resolve("rootfs/bin"));
            Files.createDirectories(dir.resolve("rootfs/tmp"));
            check(Exec.run(List.of("/bin/chmod", "1777", dir.resolve("rootfs/tmp").toString()), Duration.ofSeconds(5)),
                    "chmod");
            Files.createDirectories(dir.resolve("rootfs/etc"));
            Files.copy(BUSYBOX_BINARY, bin.resolve("busybox"));
            Files.writeString(dir.resolve("rootfs/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
            Files.writeString(dir.resolve("rootfs/etc/group"), "root:x:0:\nnogroup:x:65534:\n");
            Exec.Result applets = Exec.run(List.of(BUSYBOX_BINARY.toString(), "--list"), Duration.ofSeconds(5));
            for (String applet : applets.output().split("\n")) {
                if (!applet.isBlank() && !applet.equals("busybox")) {
                    Files.createSymbolicLink(bin.resolve(applet.strip()), Path.of("busybox"));
                }
            }
            List<String> tar = new ArrayList<>(List.of("/bin/tar", "-C", dir.resolve("rootfs").toString(), "-cf",
                    dir.resolve("rootfs.tar").toString(), "."));
            check(Exec.run(tar, Duration.ofSeconds(30)), "tar");
            List<String> podmanImport = new ArrayList<>(List.of("/usr/bin/podman", "import"));
            for (String change : changes) {
                podmanImport.addAll(List.of("--change", change));
            }
            podmanImport.addAll(List.of(dir.resolve("rootfs.tar").toString(), image));
            check(Exec.run(podmanImport, Duration.ofSeconds(60)), "podman import");
        } finally {
            Exec.run(List.of("/bin/rm", "-rf", dir.toString()), Duration.ofSeconds(10));
        }
    }

    /** Containers (any state) labelled with {@code stateDir}, as the engine lists them. */
    static List<JsonObject> containersOf(EngineClient client, Path stateDir) throws Exception {
        List<JsonObject> found = new ArrayList<>();
        for (Object o : result(client.listLabelled(ContainerSpec.LABEL_STATE_DIR), HOUSEKEEPING)) {
            JsonObject c = (JsonObject) o;
            if (stateDir.toString().equals(c.getJsonObject("Labels", new JsonObject())
                    .getString(ContainerSpec.LABEL_STATE_DIR))) {
                found.add(c);
            }
        }
        return found;
    }

    /**
     * A test's clean-up: removes the containers labelled with {@code stateDir} (a failed test leaves nothing
     * behind), or says why it could not. An engine that does not answer within {@link #TIDYING} is reported, not
     * failed on: podman 4.3's API service has been seen not answering for minutes after a crash test, whatever order
     * Berth's reaper removed things in (a service started afresh on the same storage answers at once), and what it
     * keeps is removed by the next agent's reaper, the state directory it is labelled with being gone by then.
     */
    static void tidy(EngineClient client, Path stateDir) throws Exception {
        try {
            for (Object o : result(client.listLabelled(ContainerSpec.LABEL_STATE_DIR), TIDYING)) {
                JsonObject c = (JsonObject) o;
                if (stateDir.toString().equals(c.getJsonObject("Labels", new JsonObject())
                        .getString(ContainerSpec.LABEL_STATE_DIR))) {
                    result(client.remove(c.getString("Id")), TIDYING);
                }
            }
        } catch (java.util.concurrent.TimeoutException e) {
            StringBuilder engines = new StringBuilder();
            ProcessHandle.allProcesses().forEach(h -> h.info().commandLine()
                    .filter(cmd -> cmd.startsWith("/usr/bin/podman") || cmd.startsWith("/usr/bin/conmon"))
                    .ifPresent(cmd -> engines.append("  ").append(h.pid()).append(' ')
                            .append(cmd, 0, Math.min(cmd.length(), 240)).append('\n')));
            System.out.printf("WARNING: podman did not answer within %d s while tidying up after a test (state "
                    + "directory %s); its containers are left to the next agent's reaper. Engine processes:%n%s",
                    TIDYING.toSeconds(), stateDir, engines);
        }
    }

    void stop() throws IOException {
        if (process.isAlive()) {
            process.destroy();
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
            }
        }
        Files.deleteIfExists(socket);
        Files.deleteIfExists(logFile);
        Files.deleteIfExists(configFile);
    }

    private static void check(Exec.Result r, String what) {
        if (!r.ok()) {
            throw new IllegalStateException(what + " failed (exit " + r.exitCode() + "): " + r.oneLine());
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
