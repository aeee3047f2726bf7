package io.berth.agent.runtime.container;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The Docker Engine API (v1.41, which podman's {@code podman system service} also serves) over the engine's
 * Unix domain socket, with Vert.x's HTTP client: nothing blocks. Only the calls Berth needs. Errors are
 * {@link EngineException}s carrying the engine's own message.
 */
public final class EngineClient {
    static final String API = "/v1.41";
    private static final long CALL_TIMEOUT_MS = EngineHttp.CALL_TIMEOUT_MS;
    /** A pull may take long, but it reports progress: this long without a byte means it is stuck. */
    private static final long PULL_IDLE_MS = 120_000;
    private static final long EXEC_EXIT_POLL_MS = 10;

    private static final int REMOVE_ATTEMPTS = 5;
    private static final long REMOVE_PAUSE_MS = 200;
    private final Vertx vertx;
    private final Path socket;
    private final EngineHttp http;

    public EngineClient(Vertx vertx, Path socket) {
        this.vertx = vertx;
        this.socket = socket;
        this.http = new EngineHttp(vertx, socket);
    }

    public Path socket() {
        return socket;
    }

    /** The engine's name and version, e.g. {@code Podman Engine 4.3.1}. */
    public Future<String> version() {
        return json(HttpMethod.GET, "/version", null).map(v -> {
            JsonArray components = v.getJsonArray("Components", new JsonArray());
            String name = components.isEmpty() ? "Docker Engine" : components.getJsonObject(0).getString("Name");
            return name + " " + v.getString("Version", "?");
        });
    }

    /** The image's configuration; fails with a 404 {@link EngineException} when it is not on this machine. */
    public Future<JsonObject> inspectImage(String ref) {
        return json(HttpMethod.GET, "/images/" + ref + "/json", null);
    }

    /**
     * Pulls an image. The engine streams progress as JSON objects and reports a failure inside the stream
     * (status 200, {@code {"error": ...}}) or as an error status; both fail the future with its message.
     */
    public Future<Void> pull(String ref) {
        ImageRef.Parts parts = ImageRef.split(ref);
        String uri = "/images/create?fromImage=" + enc(parts.name()) + (parts.tag() == null ? "" : "&tag=" + enc(parts.tag()));
        return call(HttpMethod.POST, uri, null, PULL_IDLE_MS).compose(body -> {
            String error = pullError(body.toString(StandardCharsets.UTF_8));
            return error == null ? Future.succeededFuture() : Future.failedFuture(new EngineException(200, error));
        });
    }

    /** The first error in a pull's progress stream (concatenated or newline-separated JSON objects), or null. */
    static String pullError(String stream) {
        for (String line : stream.replace("}{", "}\n{").split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonObject o = new JsonObject(line);
                if (o.getValue("error") != null) {
                    return String.valueOf(o.getValue("error"));
                }
            } catch (DecodeException | ClassCastException e) {
                // progress lines the engine formats differently carry no error
            }
        }
        return null;
    }

    /** Creates a container named {@code name}; completes with its id. */
    public Future<String> create(String name, JsonObject spec) {
        return json(HttpMethod.POST, "/containers/create?name=" + enc(name), spec).map(r -> r.getString("Id"));
    }

    public Future<Void> start(String id) {
        return json(HttpMethod.POST, "/containers/" + id + "/start", null).mapEmpty();
    }

    public Future<JsonObject> inspect(String id) {
        return json(HttpMethod.GET, "/containers/" + id + "/json", null);
    }

    /**
     * Stops a container: the engine sends its stop signal (the image's, SIGTERM by default), waits up to
     * {@code seconds}, then SIGKILLs it. Completes once it stopped.
     */
    public Future<Void> stop(String id, int seconds) {
        return call(HttpMethod.POST, "/containers/" + id + "/stop?t=" + seconds, null,
                CALL_TIMEOUT_MS + TimeUnit.SECONDS.toMillis(seconds)).mapEmpty();
    }

    public Future<Void> kill(String id, String signal) {
        return json(HttpMethod.POST, "/containers/" + id + "/kill?signal=" + enc(signal), null).mapEmpty();
    }

    /** Completes with the exit code once the container is not running (at once if it already exited). */
    public Future<Integer> await(String id) {
        return call(HttpMethod.POST, "/containers/" + id + "/wait?condition=not-running", null, -1)
                .map(body -> new JsonObject(body).getInteger("StatusCode"));
    }

    /**
     * Removes a container, killing it if it runs, with its anonymous volumes; an unknown one is no error. podman may
     * answer a removal that races its own clean-up of the container's {@code /dev/shm} mount with "unlinkat
     * .../userdata/shm: device or resource busy" (podman issue 3870): asked again a moment later, it removes it.
     */
    public Future<Void> remove(String id) {
        return remove(id, REMOVE_ATTEMPTS);
    }

    private Future<Void> remove(String id, int attempts) {
        return json(HttpMethod.DELETE, "/containers/" + id + "?force=true&v=true", null).<Void>mapEmpty()
                .recover(e -> {
                    if (EngineException.isNotFound(e)) {
                        return Future.succeededFuture();
                    }
                    if (attempts > 1 && String.valueOf(e.getMessage()).contains("device or resource busy")) {
                        Promise<Void> again = Promise.promise();
                        vertx.setTimer(REMOVE_PAUSE_MS, t -> remove(id, attempts - 1).onComplete(again));
                        return again.future();
                    }
                    return Future.failedFuture(e);
                });
    }

    /** Containers (running or not) carrying label {@code key} (any value). */
    public Future<JsonArray> listLabelled(String key) {
        String filters = new JsonObject().put("label", new JsonArray().add(key)).encode();
        return call(HttpMethod.GET, "/containers/json?all=true&filters=" + enc(filters), null, CALL_TIMEOUT_MS)
                .map(JsonArray::new);
    }

    /** What a command run in a container did; {@code pid} (host pid namespace) is 0 when unknown. */
    public record ExecResult(int exitCode, String output, long pid) {}

    /**
     * Runs {@code argv} in a running container (the exec API) and waits for it: creates the exec instance,
     * starts it attached (its output arrives framed, until the command ends), then reads its exit code.
     * {@code started} learns the exec id at once, so that a caller can find and kill it.
     */
    public Future<ExecResult> exec(String id, List<String> argv, String user, String workDir,
                                   java.util.function.Consumer<String> started) {
        JsonObject spec = new JsonObject().put("Cmd", new JsonArray(List.copyOf(argv)))
                .put("AttachStdout", true).put("AttachStderr", true);
        if (user != null) {
            spec.put("User", user);
        }
        if (workDir != null) {
            spec.put("WorkingDir", workDir);
        }
        return json(HttpMethod.POST, "/containers/" + id + "/exec", spec).map(r -> r.getString("Id")).compose(execId -> {
            started.accept(execId);
            StreamFrames frames = new StreamFrames();
            Buffer output = Buffer.buffer();
            return stream(HttpMethod.POST, "/exec/" + execId + "/start",
                    new JsonObject().put("Detach", false).put("Tty", false), -1,
                    chunk -> {
                        output.appendBuffer(frames.feed(chunk));
                        return Future.succeededFuture();
                    })
                    .compose(v -> execExit(execId, System.nanoTime() + TimeUnit.SECONDS.toNanos(5)))
                    .map(r -> new ExecResult(r.exitCode(), output.appendBuffer(frames.rest())
                            .toString(StandardCharsets.UTF_8), r.pid()));
        });
    }

    /** The exec instance's exit code and pid; it may still be winding down when its output ended. */
    private Future<ExecResult> execExit(String execId, long deadlineNanos) {
        return inspectExec(execId).compose(info -> {
            if (!info.getBoolean("Running", false) || System.nanoTime() > deadlineNanos) {
                Integer code = info.getInteger("ExitCode");
                return Future.succeededFuture(new ExecResult(code == null ? -1 : code, "", info.getLong("Pid", 0L)));
            }
            Promise<Void> later = Promise.promise();
            vertx.setTimer(EXEC_EXIT_POLL_MS, t -> later.complete());
            return later.future().compose(v -> execExit(execId, deadlineNanos));
        });
    }

    public Future<JsonObject> inspectExec(String execId) {
        return json(HttpMethod.GET, "/exec/" + execId + "/json", null);
    }

    /**
     * Follows a container's stdout and stderr from its start until it stops; {@code sink} gets the payload
     * bytes in order (the stream is paused until the future it returns completes). Completes when the
     * stream ends.
     */
    public Future<Void> followLogs(String id, Function<Buffer, Future<Void>> sink) {
        return followLogs(id, null, sink);
    }

    /** The same, for what the container wrote after {@code since} (null: from its start). */
    public Future<Void> followLogs(String id, java.time.Instant since, Function<Buffer, Future<Void>> sink) {
        StreamFrames frames = new StreamFrames();
        String after = since == null ? ""
                : "&since=" + since.getEpochSecond() + "." + String.format("%09d", since.getNano());
        return stream(HttpMethod.GET, "/containers/" + id + "/logs?follow=true&stdout=true&stderr=true" + after, null, -1,
                chunk -> {
                    Buffer payload = frames.feed(chunk);
                    return payload.length() == 0 ? Future.succeededFuture() : sink.apply(payload);
                })
                .compose(v -> {
                    Buffer rest = frames.rest();
                    return rest.length() == 0 ? Future.succeededFuture() : sink.apply(rest);
                });
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Closes the HTTP client (its connections to the engine). */
    public Future<Void> close() {
        return http.close();
    }

    private Future<JsonObject> json(HttpMethod method, String uri, JsonObject body) {
        return http.json(method, uri, body);
    }

    private Future<Buffer> call(HttpMethod method, String uri, JsonObject body, long idleMillis) {
        return http.call(method, uri, body, idleMillis);
    }

    private Future<Void> stream(HttpMethod method, String uri, JsonObject body, long idleMillis,
                                Function<Buffer, Future<Void>> consumer) {
        return http.stream(method, uri, body, idleMillis, consumer);
    }

    /** A duration as whole seconds, rounded up: the engine's stop timeout is an integer. */
    static int ceilSeconds(Duration d) {
        long s = d.toSeconds();
        return (int) Math.min(Integer.MAX_VALUE, d.minusSeconds(s).isZero() ? s : s + 1);
    }
}
