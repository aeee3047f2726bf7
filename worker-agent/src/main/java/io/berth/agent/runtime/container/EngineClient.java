package io.berth.agent.runtime.container;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

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
    /** Calls that answer at once (inspect, create, start, kill, remove). */
    private static final long CALL_TIMEOUT_MS = 30_000;
    /** A pull may take long, but it reports progress: this long without a byte means it is stuck. */
    private static final long PULL_IDLE_MS = 120_000;
    /** Every running container holds two long requests (wait and its log stream). */
    private static final int MAX_CONNECTIONS = 512;
    private static final long EXEC_EXIT_POLL_MS = 10;

    private final Vertx vertx;
    private final Path socket;
    private final SocketAddress address;
    private final HttpClientAgent http;

    public EngineClient(Vertx vertx, Path socket) {
        this.vertx = vertx;
        this.socket = socket;
        this.address = SocketAddress.domainSocketAddress(socket.toString());
        this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAliveTimeout(30),
                new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
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

    /** Removes a container, killing it if it runs, with its anonymous volumes; an unknown one is no error. */
    public Future<Void> remove(String id) {
        return json(HttpMethod.DELETE, "/containers/" + id + "?force=true&v=true", null).<Void>mapEmpty()
                .recover(e -> EngineException.isNotFound(e) ? Future.succeededFuture() : Future.failedFuture(e));
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

    private Future<JsonObject> json(HttpMethod method, String uri, JsonObject body) {
        return call(method, uri, body, CALL_TIMEOUT_MS).map(b -> b.length() == 0 ? new JsonObject() : new JsonObject(b));
    }

    /**
     * One request; completes with the whole body of a 2xx answer. {@code idleMillis} &lt; 0: no timeout.
     */
    private Future<Buffer> call(HttpMethod method, String uri, JsonObject body, long idleMillis) {
        return send(method, uri, body, idleMillis).compose(resp -> resp.body().compose(b -> ok(resp)
                ? Future.succeededFuture(b) : Future.failedFuture(error(resp.statusCode(), b))));
    }

    /** One request whose answer is read as it arrives, paused while {@code consumer} works on a chunk. */
    private Future<Void> stream(HttpMethod method, String uri, JsonObject body, long idleMillis,
                                Function<Buffer, Future<Void>> consumer) {
        return send(method, uri, body, idleMillis).compose(resp -> {
            if (!ok(resp)) {
                return resp.body().compose(b -> Future.failedFuture(error(resp.statusCode(), b)));
            }
            Promise<Void> done = Promise.promise();
            // an exec's output is a hijacked connection the engine closes at the end, without a last chunk
            resp.exceptionHandler(e -> done.tryComplete());
            resp.handler(chunk -> {
                resp.pause();
                Future<Void> f;
                try {
                    f = consumer.apply(chunk);
                } catch (RuntimeException e) {
                    f = Future.failedFuture(e);
                }
                f.onComplete(ar -> {
                    if (ar.failed()) {
                        done.tryFail(ar.cause());
                        resp.request().reset();
                    } else {
                        resp.resume();
                    }
                });
            });
            resp.endHandler(v -> done.tryComplete());
            return done.future();
        });
    }

    private Future<HttpClientResponse> send(HttpMethod method, String uri, JsonObject body, long idleMillis) {
        RequestOptions options = new RequestOptions().setServer(address).setHost("localhost").setPort(80)
                .setMethod(method).setURI(API + uri).setConnectTimeout(CALL_TIMEOUT_MS);
        if (idleMillis > 0) {
            options.setIdleTimeout(idleMillis);
        }
        return http.request(options)
                .recover(e -> Future.failedFuture(new EngineException(0, "cannot reach the container engine at "
                        + socket + ": " + e.getMessage())))
                .compose(req -> {
                    if (body == null) {
                        return req.send();
                    }
                    req.putHeader("Content-Type", "application/json");
                    return req.send(body.toBuffer());
                });
    }

    private static boolean ok(HttpClientResponse resp) {
        return resp.statusCode() / 100 == 2 || resp.statusCode() == 304;
    }

    /** The engine's own message ({@code {"message": ...}}), else the body as it is. */
    private static EngineException error(int status, Buffer body) {
        String text = body.toString(StandardCharsets.UTF_8).strip();
        try {
            String message = new JsonObject(text).getString("message");
            if (message != null) {
                text = message;
            }
        } catch (DecodeException | ClassCastException e) {
            // not JSON: keep the text
        }
        return new EngineException(status, text.isEmpty() ? "HTTP " + status : text);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Closes the HTTP client (its connections to the engine). */
    public Future<Void> close() {
        return http.close();
    }

    /** A duration as whole seconds, rounded up: the engine's stop timeout is an integer. */
    static int ceilSeconds(Duration d) {
        long s = d.toSeconds();
        return (int) Math.min(Integer.MAX_VALUE, d.minusSeconds(s).isZero() ? s : s + 1);
    }
}
