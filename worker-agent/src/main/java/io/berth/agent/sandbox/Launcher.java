package io.berth.agent.sandbox;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Users;

import java.io.ByteArrayOutputStream;
import java.io.File;
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
 * Starts programs through {@code berth-launch} (src/main/c), the one program the agent execs per service, probe or
 * prototype message: it enters the task's network namespace, makes the service's PID and mount namespaces, joins its
 * cgroups, switches to the task's identity and execs the program — one exec instead of a chain of root wrappers.
 *
 * <p>The launcher runs with an empty environment; the program's environment goes to it through a private file on
 * its stdin, so no root process ever has a service's variables in its environment (a service's {@code LD_PRELOAD}
 * never reaches a root loader), nor in its command line (readable by every user).
 *
 * <p>Services and network namespaces are started by the launch server ({@link LaunchServer}): a fork of a small
 * process each rather than an exec. Probes and prototype messages, which need the program's stdin and stdout, are
 * exec'd.
 *
 * <p>The binary ships inside this jar and is installed once per JVM under a name of its content's hash, root's
 * alone ({@code /run/berth/bin}), so concurrent agents of different versions never share one. Blocking methods.
 */
public final class Launcher {
    private static final String RESOURCE = "berth-launch";
    private static final long RUN_OUTPUT_LIMIT = 64 * 1024;
    private static final int RUN_OUTPUT_TAIL = 4096;
    private static final long RUN_KILL_WAIT_S = 10;
    private static volatile Launcher shared;

    private final Path binary;
    private final Path requests;
    private final boolean privileged;
    private LaunchServer server;

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
        return new Launcher(binary, privateDir(base.resolve("launch")), root);
    }

    private static Path privateDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }

    /**
     * A program to start in a sandbox.
     *
     * @param stdin what the program reads on stdin after its environment (a prototype's request), or null for
     *              /dev/null
     */
    public record Command(Sandbox sandbox, Path program, List<String> args, Path dir, Map<String, String> env,
                          byte[] stdin) {
        public Command {
            args = List.copyOf(args);
            env = Map.copyOf(env);
        }
    }

    /**
     * Starts a service through the launch server: no process is spawned by the JVM, the server forks the relay.
     * The service's stdout and stderr are appended to {@code log}; its stdin is /dev/null.
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
        Path output = Files.createTempFile(requests, "output", "");
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
        if (command.stdin() != null) {
            throw new IllegalArgumentException("the launch server gives programs no stdin");
        }
        List<String> argv = new ArrayList<>();
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
        return Relay.served(s, s.start(argv, command.env()));
    }

    /**
     * A service's launcher (its relay): forked by the launch server, or spawned by this JVM (a prototype's first
     * message, which needs pipes). Its exit means every process of the service is gone.
     */
    public static final class Relay {
        private final long pid;
        private final CompletableFuture<Integer> exit;
        private final Signaller signaller;

        private interface Signaller {
            boolean send(boolean kill) throws IOException;
        }

        private Relay(long pid, CompletableFuture<Integer> exit, Signaller signaller) {
            this.pid = pid;
            this.exit = exit;
            this.signaller = signaller;
        }

        private static Relay served(LaunchServer server, LaunchServer.Started started) {
            long pid = started.pid();
            return new Relay(pid, started.exit(), kill -> server.alive()
                    ? server.signal(pid, kill ? 9 : 15)
                    // its server died: signal the pid as a re-attached agent would
                    : ProcessHandle.of(pid).map(h -> signal(h, kill)).orElse(false));
        }

        /** A launcher this JVM spawned itself. */
        public static Relay of(Process process) {
            return new Relay(process.pid(), process.onExit().thenApply(Process::exitValue),
                    kill -> signal(process.toHandle(), kill));
        }

        private static boolean signal(ProcessHandle h, boolean kill) {
            return h.isAlive() && (kill ? h.destroyForcibly() : h.destroy());
        }

        public long pid() {
            return pid;
        }

        /** Completes with its exit status (128+N when killed by signal N; -1 if the server that knew it died). */
        public CompletableFuture<Integer> exit() {
            return exit;
        }

        public boolean isAlive() {
            return !exit.isDone();
        }

        /** SIGTERM (passed on to the service's process group) or SIGKILL (the whole sandbox); false if gone. */
        public boolean signal(boolean kill) throws IOException {
            return isAlive() && signaller.send(kill);
        }
    }

    private synchronized LaunchServer server() throws IOException {
        if (server == null || !server.alive()) {
            server = LaunchServer.start(binary);
        }
        return server;
    }

    /** Starts {@code command}; its stdout and stderr both go to {@code output}. */
    public Process start(Command command, ProcessBuilder.Redirect output) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(binary.toString());
        command.sandbox().appendOptions(argv, privileged);
        if (command.dir() != null) {
            argv.add("--dir");
            argv.add(command.dir().toString());
        }
        if (command.stdin() != null) {
            argv.add("--keep-stdin");
        }
        argv.add("--");
        argv.add(command.program().toString());
        argv.addAll(command.args());
        Path request = Files.createTempFile(requests, "launch", "");
        try {
            Files.write(request, stdin(command.env(), command.stdin()));
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectInput(request.toFile())
                    .redirectOutput(output)
                    .redirectErrorStream(true);
            pb.environment().clear(); // nothing of the agent's, nothing of the service's: see the class comment
            if (command.dir() != null && Files.isDirectory(command.dir())) {
                pb.directory(command.dir().toFile());
            } else {
                pb.directory(new File("/"));
            }
            return pb.start(); // its stdin is open now: the file's name can go
        } finally {
            Files.deleteIfExists(request);
        }
    }

    /** {@code "<length>\n"}, the NUL-separated environment, then {@code rest}. */
    static byte[] stdin(Map<String, String> env, byte[] rest) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        env.forEach((name, value) -> {
            block.writeBytes((name + "=" + value).getBytes(StandardCharsets.UTF_8));
            block.write(0);
        });
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes((block.size() + "\n").getBytes(StandardCharsets.US_ASCII));
        all.writeBytes(block.toByteArray());
        if (rest != null) {
            all.writeBytes(rest);
        }
        return all.toByteArray();
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
