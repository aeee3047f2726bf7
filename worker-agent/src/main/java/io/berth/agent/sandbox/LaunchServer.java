package io.berth.agent.sandbox;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code berth-launch --serve}: one long-lived child of the agent that forks a service's relay, and makes and removes
 * network namespaces, where the agent would otherwise spawn a process that execs the launcher. On this kind of
 * machine an exec costs milliseconds of CPU (a new address space), a fork of the small server a fraction of that,
 * and a task starts two or more services and makes a namespace. The protocol is in {@code berth-launch.c}.
 *
 * <p>The relays are the server's children, so it reaps them and reports their exit status. If the server dies, the
 * services it started live on (unless they were to die with the agent) and are watched as a re-attached agent
 * watches them, without an exit code; the next request starts a new server. Blocking methods, thread-safe.
 */
final class LaunchServer {
    private static final System.Logger LOG = System.getLogger(LaunchServer.class.getName());
    private static final long REPLY_TIMEOUT_S = 30;
    /** An exit whose status only the dead server knew. */
    static final int UNKNOWN_EXIT_CODE = -1;

    private final Process process;
    private final OutputStream requests;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Integer>> exits = new ConcurrentHashMap<>();
    private volatile boolean gone;

    /** @param exit for a start: completes when the relay the reply names exits */
    private record Pending(CompletableFuture<String> reply, CompletableFuture<Integer> exit) {}

    /** A service's relay, started by the server. */
    record Started(long pid, CompletableFuture<Integer> exit) {}

    private LaunchServer(Process process) {
        this.process = process;
        this.requests = process.getOutputStream();
    }

    static LaunchServer start(Path binary) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "--serve")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .directory(new File("/"));
        pb.environment().clear(); // what the server forks inherits nothing of the agent's
        LaunchServer server = new LaunchServer(pb.start());
        Thread reader = new Thread(server::readReplies, "berth-launch-server");
        reader.setDaemon(true);
        reader.start();
        return server;
    }

    boolean alive() {
        return !gone;
    }

    /** Starts a relay with launcher arguments {@code argv} (options, {@code --}, program, args) and environment. */
    Started start(List<String> argv, Map<String, String> env) throws IOException {
        ByteArrayOutputStream fields = new ByteArrayOutputStream();
        field(fields, Integer.toString(argv.size()));
        argv.forEach(a -> field(fields, a));
        env.forEach((name, value) -> field(fields, name + "=" + value));
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        long pid = Long.parseLong(request(exit, "start", fields.toByteArray()));
        return new Started(pid, exit);
    }

    /** Sends {@code signal} to a relay this server started; false if it has exited already. */
    boolean signal(long pid, int signal) throws IOException {
        try {
            request(null, "signal", fields(Long.toString(pid), Integer.toString(signal)));
            return true;
        } catch (RefusedException e) {
            return false;
        }
    }

    void createNetworkNamespace(Path path, Path from) throws IOException {
        request(null, "netns-add", from == null ? fields(path.toString()) : fields(path.toString(), from.toString()));
    }

    void deleteNetworkNamespace(Path path) throws IOException {
        request(null, "netns-del", fields(path.toString()));
    }

    /** utime + stime + cutime + cstime of the server process, in clock ticks; 0 once it is gone. */
    long cpuTicks() {
        try {
            String stat = java.nio.file.Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Ends the server (its services live on unless they die with the agent). */
    void close() {
        try {
            requests.close();
        } catch (IOException e) {
            // already gone
        }
    }

    /** The server said no: the reason is its message. */
    static final class RefusedException extends IOException {
        RefusedException(String reason) {
            super(reason);
        }
    }

    private String request(CompletableFuture<Integer> exit, String verb, byte[] payload) throws IOException {
        long id = ids.incrementAndGet();
        CompletableFuture<String> reply = new CompletableFuture<>();
        pending.put(id, new Pending(reply, exit));
        try {
            if (gone) {
                throw new IOException("the launch server has exited");
            }
            synchronized (requests) {
                requests.write((id + " " + verb + " " + payload.length + "\n").getBytes(StandardCharsets.US_ASCII));
                requests.write(payload);
                requests.flush();
            }
            String answer = reply.get(REPLY_TIMEOUT_S, TimeUnit.SECONDS);
            if (answer.startsWith("error ")) {
                throw new RefusedException(answer.substring("error ".length()));
            }
            return answer.equals("ok") ? "" : answer.substring("ok ".length());
        } catch (ExecutionException e) {
            throw new IOException("the launch server has exited", e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the launch server did not answer " + verb + " within " + REPLY_TIMEOUT_S + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            pending.remove(id);
        }
    }

    private void readReplies() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                int space = line.indexOf(' ');
                long id = Long.parseLong(line.substring(0, space));
                String answer = line.substring(space + 1);
                if (id == 0) {
                    String[] exit = answer.split(" "); // "exit PID STATUS"
                    CompletableFuture<Integer> f = exits.remove(Long.parseLong(exit[1]));
                    if (f != null) {
                        f.complete(Integer.parseInt(exit[2]));
                    }
                    continue;
                }
                Pending p = pending.get(id);
                if (p == null) {
                    continue; // its requester timed out
                }
                if (p.exit() != null && answer.startsWith("ok ")) {
                    exits.put(Long.parseLong(answer.substring(3)), p.exit()); // before the exit can be read
                }
                p.reply().complete(answer);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "reading the launch server's replies failed", e);
        } finally {
            gone = true;
            pending.values().forEach(p -> p.reply().completeExceptionally(new IOException("the launch server exited")));
            exits.forEach((pid, exit) -> Optional.ofNullable(ProcessHandle.of(pid).orElse(null))
                    .map(ProcessHandle::onExit)
                    .orElse(CompletableFuture.completedFuture(null))
                    .thenRun(() -> exit.complete(UNKNOWN_EXIT_CODE)));
            process.destroy();
        }
    }

    private static byte[] fields(String... values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String v : values) {
            field(out, v);
        }
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, String value) {
        out.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }
}
