package io.berth.agent.sandbox;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Users;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Starts programs through {@code berth-launch} (src/main/c) for every service, probe and prototype message: it enters
 * the task's network namespace, makes the service's PID and mount namespaces, joins its cgroups, switches to the
 * task's identity and execs the program. The agent runs one {@code berth-launch --serve} ({@link LaunchServer}),
 * which forks a relay per program: a fork of a small process instead of the JVM spawning one that execs.
 *
 * <p>The server runs with an empty environment and gets a program's environment in a request over a pipe, so no root
 * process ever has a service's variables in its environment (a service's {@code LD_PRELOAD} never reaches a root
 * loader), nor in its command line (readable by every user).
 *
 * <p>The binary ships inside this jar and is installed once per JVM under a name of its content's hash, root's
 * alone ({@code /run/berth/bin}), so concurrent agents of different versions never share one. Blocking methods.
 */
public final class Launcher {
    private static final String RESOURCE = "berth-launch";
    private static final long RUN_OUTPUT_LIMIT = 64 * 1024;
    private static final int RUN_OUTPUT_TAIL = 4096;
    private static final long RUN_KILL_WAIT_S = 10;
    /** A request or output file's prefix: the JVM's pid, so the next agent knows a dead one's leftovers. */
    private static final String OWN_PREFIX = "-" + ProcessHandle.current().pid() + "-";
    private static volatile Launcher shared;

    private final Path binary;
    private final Path requests;
    private final boolean privileged;
    private volatile LaunchServer server;

    private Launcher(Path binary, Path requests, boolean privileged) {
        this.binary = binary;
        this.requests = requests;
        this.privileged = privileged;
    }

    /** The launcher of this JVM, installed on first use. */
    public static Launcher shared() {
        Launcher l = shared;
        if (l == null) {
            synchronized (Launcher.class) {
                l = shared;
                if (l == null) {
                    try {
                        l = install();
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot install berth-launch: " + e.getMessage(), e);
                    }
                    shared = l;
                }
            }
        }
        return l;
    }

    /** Whether it makes sandboxes (the agent is root), or only runs programs in their own session. */
    public boolean privileged() {
        return privileged;
    }

    public Path binary() {
        return binary;
    }

    private static Launcher install() throws IOException {
        byte[] code;
        try (InputStream in = Launcher.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("the agent was built without berth-launch (src/main/c)");
            }
            code = in.readAllBytes();
        }
        boolean root = Users.agentIsRoot();
        Path base = root ? Path.of("/run/berth")
                : Path.of(System.getProperty("java.io.tmpdir"), "berth-" + System.getProperty("user.name"));
        Path bin = privateDir(base.resolve("bin"));
        Path binary = bin.resolve("berth-launch-" + sha256(code).substring(0, 16));
        if (!Files.isExecutable(binary)) {
            Path tmp = Files.createTempFile(bin, "berth-launch", ".tmp");
            Files.write(tmp, code);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
            Files.move(tmp, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        Path requests = privateDir(base.resolve("launch"));
        removeLeftovers(requests);
        return new Launcher(binary, requests, root);
    }

    /**
     * Removes the request and output files of JVMs that are gone ({@code output-PID-*}, {@code request-PID-*}): one
     * killed while a probe ran or a prototype's message was read leaves its files behind.
     */
    static void removeLeftovers(Path requests) throws IOException {
        try (var files = Files.newDirectoryStream(requests, "{output,request}-*-*")) {
            for (Path file : files) {
                String[] parts = file.getFileName().toString().split("-", 3);
                long pid;
                try {
                    pid = Long.parseLong(parts[1]);
                } catch (NumberFormatException e) {
                    continue; // not one of ours
                }
                if (ProcessHandle.of(pid).isEmpty()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    private static Path privateDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }

    /**
     * A program to start in a sandbox.
     *
     * @param stdin what the program reads on stdin (a prototype's request), or null for /dev/null
     */
    public record Command(Sandbox sandbox, Path program, List<String> args, Path dir, Map<String, String> env,
                          byte[] stdin) {
        public Command {
            args = List.copyOf(args);
            env = Map.copyOf(env);
        }
    }

    /**
     * Starts a service (or a prototype's message) through the launch server: no process is spawned by the JVM, the
     * server forks the relay. Its stdout and stderr are appended to {@code log}; its stdin is the command's
     * {@code stdin}, or /dev/null.
     */
    public Relay startService(Command command, Path log) throws IOException {
        return serve(command, log, null);
    }

    /**
     * Runs {@code command} to its end through the launch server (a command probe), killed at {@code timeout};
     * {@code started} learns of its relay at once, to abort it. The output goes through a private file held at
     * {@value #RUN_OUTPUT_LIMIT} bytes (a program that prints more keeps its first part and a note of the rest),
     * of which the last {@value #RUN_OUTPUT_TAIL} are returned.
     */
    public Exec.Result run(Command command, Duration timeout, Consumer<Relay> started) throws IOException {
        long t0 = System.nanoTime();
        Path output = Files.createTempFile(requests, "output" + OWN_PREFIX, "");
        try {
            Relay relay = serve(command, output, RUN_OUTPUT_LIMIT);
            started.accept(relay);
            boolean timedOut = false;
            int code;
            try {
                try {
                    code = relay.exit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    timedOut = true;
                    relay.signal(true); // the whole sandbox of the run goes with its relay
                    code = relay.exit().get(RUN_KILL_WAIT_S, TimeUnit.SECONDS);
                }
            } catch (TimeoutException e) {
                throw new IOException(command.program() + " outlived SIGKILL for " + RUN_KILL_WAIT_S + " s");
            } catch (ExecutionException e) {
                throw new IOException(e.getCause());
            } catch (InterruptedException e) {
                relay.signal(true);
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + command.program(), e);
            }
            return new Exec.Result(code, tail(output), timedOut, System.nanoTime() - t0);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static String tail(Path file) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            long size = ch.size();
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size, RUN_OUTPUT_TAIL));
            ch.position(size - buf.capacity());
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // until full
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        }
    }

    private Relay serve(Command command, Path log, Long logLimit) throws IOException {
        List<String> argv = new ArrayList<>();
        Path stdin = null;
        if (command.stdin() != null) { // a prototype's request: a file only root can read, open while it runs
            stdin = Files.createTempFile(requests, "request" + OWN_PREFIX, "");
            Files.write(stdin, command.stdin());
            argv.add("--stdin");
            argv.add(stdin.toString());
        }
        command.sandbox().appendOptions(argv, privileged);
        if (command.dir() != null) {
            argv.add("--dir");
            argv.add(command.dir().toString());
        }
        if (logLimit != null) {
            argv.add("--log-limit");
            argv.add(logLimit.toString());
        }
        argv.add("--log");
        argv.add(log.toString());
        argv.add("--");
        argv.add(command.program().toString());
        argv.addAll(command.args());
        LaunchServer s = server();
        try {
            Relay relay = new Relay(s, s.start(argv, command.env()));
            if (stdin != null) {
                Path request = stdin;
                relay.exit().whenComplete((code, e) -> deleteQuietly(request));
            }
            return relay;
        } catch (IOException | RuntimeException e) {
            deleteQuietly(stdin);
            throw e;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // a stray request file in a private directory: nothing to do
        }
    }

    /**
     * CPU time, in clock ticks, of this JVM's launch server and of everything it reaped (relays and, through them,
     * the programs they ran), for measuring; 0 when no server runs. A server that exited is in the JVM's own
     * children's time instead.
     */
    public static long serverCpuTicks() {
        Launcher l = shared;
        LaunchServer s = l == null ? null : l.server;
        return s == null ? 0 : s.cpuTicks();
    }

    private synchronized LaunchServer server() throws IOException {
        if (server == null || !server.alive()) {
            server = LaunchServer.start(binary);
        }
        return server;
    }

    /** Creates a network namespace bound at {@code path} with its loopback up, made from {@code from} if not null. */
    public void createNetworkNamespace(Path path, Path from) throws IOException {
        server().createNetworkNamespace(path, from);
    }

    /** Unbinds and removes the network namespace at {@code path}; nothing happens if it is gone. */
    public void deleteNetworkNamespace(Path path) throws IOException {
        server().deleteNetworkNamespace(path);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
