package io.berth.orchestrator.api;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;

/**
 * Bounds what a request may send before anything buffers it. A {@code Content-Length} header is only a claim (a
 * chunked body has none), so the body stream itself is counted: an operation the OpenAPI document gives no request
 * body must send none (any {@code Content-Length} above 0 or any {@code Transfer-Encoding} is refused before a byte
 * is read), and the others are read by a {@link BodyHandler} that fails with 413 as soon as
 * {@value #MAX_BODY_BYTES} bytes are exceeded. A refused request's connection is closed ({@link Problems}), so the
 * rest of its body is never read.
 */
final class RequestBodyLimit implements Handler<RoutingContext> {
    /** The admin API's request bodies are small JSON documents ({@code {"draining": true}}). */
    static final int MAX_BODY_BYTES = 64 * 1024;

    private final OpenAPIContract contract;
    private final BodyHandler reader = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);

    RequestBodyLimit(OpenAPIContract contract) {
        this.contract = contract;
    }

    @Override
    public void handle(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        Operation operation = contract.findOperation(rc.normalizedPath(), request.method());
        if (operation == null && sendsBody(request)) {
            // no such operation: answered 404/405 by the router; the body is never read, its connection closed
            rc.addEndHandler(done -> request.connection().close());
            rc.next();
            return;
        }
        if (operation != null && operation.getRequestBody() == null && sendsBody(request)) {
            Problems.send(rc, 413, "too-large", "Content Too Large",
                    request.method() + " " + request.path() + " takes no request body");
            return;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && declaredTooLarge(length)) {
            Problems.send(rc, 413, "too-large", "Content Too Large",
                    "request bodies here are small JSON documents, at most " + MAX_BODY_BYTES + " bytes");
            return;
        }
        reader.handle(rc);
    }

    private static boolean sendsBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null
                || (length != null && !length.trim().equals("0"));
    }

    private static boolean declaredTooLarge(String length) {
        try {
            return Long.parseLong(length.trim()) > MAX_BODY_BYTES;
        } catch (NumberFormatException e) {
            return true; // not a length: refuse rather than guess
        }
    }
}
