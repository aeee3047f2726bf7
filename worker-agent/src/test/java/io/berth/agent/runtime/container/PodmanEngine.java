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
    /** How long the tests' own calls to the engine may take (a started-again engine's too, see {@link #answer}). */
    private static final Duration HOUSEKEEPING = Duration.ofSeconds(120);
    /** How long a call may go unanswered before the engine counts as stuck ({@link #answer}). */
    private static final Duration STUCK = Duration.ofSeconds(20);
    /** A list or an inspect takes milliseconds: this long without an answer, the engine is stuck too. */
    private static final Duration FRESH_CLIENT = Duration.ofSeconds(5);

    /** Tag 2: its {@code /tmp} is writable by every user (1777), as containers may run as nobody. */
    static final String BUSYBOX = "localhost/berth-test/busybox:2";
    private static final Path BUSYBOX_BINARY = Path.of("/bin/busybox");

    final Path socket;
    final Path logFile;
    private final Path configFile;
    private final Vertx vertx;
    /** Where the tests' calls to the engine are made, as an agent makes its own: on one event loop. */
    private final io.vertx.core.Context context;
    private volatile ProcessHandle process;

    private PodmanEngine(Path socket, Path logFile, Path configFile, Vertx vertx) {
        this.socket = socket;
        this.logFile = logFile;
        this.configFile = configFile;
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
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
        Path conf = Files.writeString(Path.of("/tmp", "berth-podman-" + id + ".conf"), "[containers]\ndefault_sysctls = []\n");
        PodmanEngine engine = new PodmanEngine(Path.of("/tmp", "berth-podman-" + id + ".sock"),
                Path.of("/tmp", "berth-podman-" + id + ".log"), conf, vertx);
        engine.launch();
        return engine;
    }

    /** Starts the service on {@link #socket} and waits until it answers. */
    private void launch() throws Exception {
        // sh starts it in the background and exits: podman is then nobody's child, and says its pid
        Exec.Result r = Exec.run(List.of("/bin/sh", "-c", "CONTAINERS_CONF=" + configFile
                + " setsid /usr/bin/podman --runtime runc system service --time=0 unix://"
                + socket + " >>" + logFile + " 2>&1 </dev/null & echo $!"), Duration.ofSeconds(10));
        long pid = Long.parseLong(r.output().strip());
        ProcessHandle handle = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(
                "podman system service exited at once: " + read(logFile)));
        process = handle;
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
            stop();
            throw new IllegalStateException("podman system service did not answer on " + socket + ": "
                    + e.getMessage() + "; its log: " + read(logFile));
        } finally {
            client.close();
        }
    }

    /**
     * {@code call}'s answer, made on {@code client} from the engine's own event loop. Calls made from the test's thread
     * were seen unanswered for minutes (in CI, and here in 6 of 59 runs of the container tests, 2026-12-06) while
     * podman, asked for its goroutines' stacks, had no request in hand, and the same call on a new client was
     * answered in milliseconds: the request waited in the client, with or without kept-alive connections. Should a
     * call get no answer within {@link #STUCK} all the same, this says so, with the engine's processes and the
     * client's connections, and makes the call again on a new client; if that gets no answer either, podman is asked
     * for its goroutines, started again on the same socket, and asked once more.
     */
    <T> T answer(EngineClient client, java.util.function.Function<EngineClient, io.vertx.core.Future<T>> call)
            throws Exception {
        try {
            return result(onContext(() -> call.apply(client)), STUCK);
        } catch (java.util.concurrent.TimeoutException e) {
            System.out.printf("WARNING: podman did not answer within %d s. Engine processes:%n%s%s",
                    STUCK.toSeconds(), engineProcesses(), clientSide());
        }
        // the same call on a client of its own: an answer says the client, not the engine, was stuck
        EngineClient fresh = new EngineClient(vertx, socket);
        try {
            long asked = System.nanoTime();
            T answer = result(onContext(() -> call.apply(fresh)), FRESH_CLIENT);
            System.out.printf("WARNING: a new client got podman's answer in %d ms: the stuck call waited in the "
                    + "client%n", (System.nanoTime() - asked) / 1_000_000);
            return answer;
        } catch (java.util.concurrent.TimeoutException e) {
            System.out.println("WARNING: a new client got no answer either; starting podman again");
        } finally {
            fresh.close();
        }
        System.out.print(goroutineDump());
        process.destroyForcibly();
        process.onExit().get(10, TimeUnit.SECONDS);
        Files.deleteIfExists(socket);
        launch();
        return result(onContext(() -> call.apply(client)), HOUSEKEEPING);
    }

    private <T> io.vertx.core.Future<T> onContext(java.util.function.Supplier<io.vertx.core.Future<T>> call) {
        io.vertx.core.Promise<T> answered = io.vertx.core.Promise.promise();
        context.runOnContext(v -> call.get().onComplete(answered));
        return answered.future();
    }

    /** The client's side of a stall: the engine's Unix socket connections and what the event loops are doing. */
    private String clientSide() throws Exception {
        StringBuilder said = new StringBuilder("unix connections of podman and java (ss -xpn):\n");
        Exec.Result ss = Exec.run(List.of("/usr/bin/ss", "-xpn"), Duration.ofSeconds(5));
        ss.output().lines().filter(l -> l.contains("podman") || l.contains("java") || l.contains(socket.toString()))
                .forEach(l -> said.append("  ").append(l).append('\n'));
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().startsWith("vert.x-eventloop")) {
                said.append("  ").append(thread.getName()).append(' ').append(thread.getState());
                for (int i = 0; i < Math.min(4, stack.length); i++) {
                    said.append(" < ").append(stack[i]);
                }
                said.append('\n');
            }
        });
        return said.toString();
    }

    /**
     * Where the stuck service waits: SIGQUIT makes a Go program write every goroutine's stack to its stderr (the log)
     * and exit; the dump is kept beside the log, and the goroutines that wait (on a lock, a channel, a system call)
     * in podman's code are summed up by the first podman frames of their stacks: where a stuck engine waits.
     */
    private String goroutineDump() throws Exception {
        long before = Files.size(logFile);
        // SIGCONT too: a stopped service (as in the test of this harness) takes the SIGQUIT once it runs again
        Exec.run(List.of("/bin/kill", "-QUIT", Long.toString(process.pid())), Duration.ofSeconds(5));
        Exec.run(List.of("/bin/kill", "-CONT", Long.toString(process.pid())), Duration.ofSeconds(5));
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return "podman wrote no goroutine dump within 10 s of SIGQUIT\n";
        }
        String log = Files.readString(logFile);
        String dump = log.substring((int) Math.min(before, log.length()));
        Path kept = Path.of(logFile + ".goroutines-" + process.pid());
        Files.writeString(kept, dump);
        java.util.Map<String, Integer> waiting = new java.util.TreeMap<>();
        for (String goroutine : dump.split("\n\n")) {
            String head = goroutine.lines().findFirst().orElse("");
            if (!head.startsWith("goroutine ") || !head.matches(".*\\[(semacquire|sync\\.Mutex\\.Lock|sync\\.RWMutex"
                    + "\\.[RW]?Lock|syscall|chan receive|select)[^\\]]*\\].*")) {
                continue;
            }
            String frames = goroutine.lines().filter(l -> l.startsWith("github.com/containers/"))
                    .limit(3).map(l -> l.replaceAll("\\([^()]*\\)$", "()"))
                    .collect(java.util.stream.Collectors.joining(" < "));
            if (!frames.isEmpty()) {
                waiting.merge(head.replaceAll("goroutine \\d+ ", "").replaceAll(", \\d+ minutes", "") + " " + frames,
                        1, Integer::sum);
            }
        }
        StringBuilder said = new StringBuilder("podman's goroutines (" + dump.length() + " bytes, kept in " + kept
                + "), those in podman's code that wait:\n");
        waiting.entrySet().stream().limit(20)
                .forEach(w -> said.append("  ").append(w.getValue()).append(" × ").append(w.getKey()).append('\n'));
        return said.toString();
    }

    /** The service's pid. */
    long pid() {
        return process.pid();
    }

    private static String engineProcesses() {
        StringBuilder engines = new StringBuilder();
        ProcessHandle.allProcesses().forEach(h -> h.info().commandLine()
                .filter(cmd -> cmd.startsWith("/usr/bin/podman") || cmd.startsWith("/usr/bin/conmon"))
                .ifPresent(cmd -> engines.append("  ").append(h.pid()).append(' ')
                        .append(cmd, 0, Math.min(cmd.length(), 300)).append('\n')));
        return engines.toString();
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
            answer(client, c -> c.inspectImage(image));
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
    List<JsonObject> containersOf(EngineClient client, Path stateDir) throws Exception {
        List<JsonObject> found = new ArrayList<>();
        for (Object o : answer(client, c -> c.listLabelled(ContainerSpec.LABEL_STATE_DIR))) {
            JsonObject c = (JsonObject) o;
            if (stateDir.toString().equals(c.getJsonObject("Labels", new JsonObject())
                    .getString(ContainerSpec.LABEL_STATE_DIR))) {
                found.add(c);
            }
        }
        return found;
    }

    /** A test's clean-up: removes the containers labelled with {@code stateDir} (a failed test leaves nothing behind). */
    void tidy(EngineClient client, Path stateDir) throws Exception {
        for (JsonObject c : containersOf(client, stateDir)) {
            answer(client, e -> e.remove(c.getString("Id")));
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
