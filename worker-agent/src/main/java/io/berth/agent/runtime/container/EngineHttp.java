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
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * HTTP to the engine's Unix socket: whole answers, JSON answers and streamed answers, a non-2xx answer failing with
 * the engine's own message ({@link EngineException}).
 */
final class EngineHttp {
    /** Calls that answer at once (inspect, create, start, kill, remove). */
    static final long CALL_TIMEOUT_MS = 30_000;
    /** Every running container holds two long requests (wait and its log stream). */
    private static final int MAX_CONNECTIONS = 512;

    private final Path socket;
    private final SocketAddress address;
    private final HttpClientAgent http;

    EngineHttp(Vertx vertx, Path socket) {
        this.socket = socket;
        this.address = SocketAddress.domainSocketAddress(socket.toString());
        this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAliveTimeout(30),
                new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
    }

    Future<JsonObject> json(HttpMethod method, String uri, JsonObject body) {
        return call(method, uri, body, CALL_TIMEOUT_MS).map(b -> b.length() == 0 ? new JsonObject() : new JsonObject(b));
    }

    /**
     * One request; completes with the whole body of a 2xx answer. {@code idleMillis} &lt; 0: no timeout.
     */
    Future<Buffer> call(HttpMethod method, String uri, JsonObject body, long idleMillis) {
        return send(method, uri, body, idleMillis).compose(resp -> resp.body().compose(b -> ok(resp)
                ? Future.succeededFuture(b) : Future.failedFuture(error(resp.statusCode(), b))));
    }

    /** One request whose answer is read as it arrives, paused while {@code consumer} works on a chunk. */
    Future<Void> stream(HttpMethod method, String uri, JsonObject body, long idleMillis,
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
                .setMethod(method).setURI(EngineClient.API + uri).setConnectTimeout(CALL_TIMEOUT_MS);
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

    Future<Void> close() {
        return http.close();
    }
}
