package io.berth.orchestrator.api;

import io.berth.events.json.Json;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 9457 problem documents ({@code application/problem+json}): the one place where failures become HTTP answers.
 * Each has a {@code type} URI naming the kind of problem, a {@code title}, the {@code status}, a {@code detail}
 * saying what exactly went wrong, and the request path as {@code instance}.
 */
final class Problems {
    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
    static final String CONTENT_TYPE = "application/problem+json";
    private static final String TYPE_PREFIX = "urn:berth:problem:";

    private Problems() {}

    /** Sends a problem with an optional extension member ({@code errors}, {@code checks}, ...). */
    static void send(RoutingContext rc, int status, String kind, String title, String detail,
                     Map<String, Object> extensions) {
        HttpServerResponse response = rc.response();
        if (response.headWritten()) {
            // a streaming answer already started: all that is left is to stop it
            response.reset();
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", kind == null ? "about:blank" : TYPE_PREFIX + kind);
        body.put("title", title);
        body.put("status", status);
        if (detail != null) {
            body.put("detail", detail);
        }
        body.put("instance", rc.request().path());
        if (extensions != null) {
            body.putAll(extensions);
        }
        response.setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE);
        if (status == 413) {
            // the rest of a refused body is never read: the connection goes with the answer
            response.putHeader("Connection", "close");
            response.end(Json.string(body)).onComplete(done -> rc.request().connection().close());
            return;
        }
        response.end(Json.string(body));
    }

    static void send(RoutingContext rc, int status, String kind, String title, String detail) {
        send(rc, status, kind, title, detail, null);
    }

    static void notFound(RoutingContext rc, String detail) {
        send(rc, 404, "not-found", "Not Found", detail);
    }

    static void unavailable(RoutingContext rc, String detail) {
        send(rc, 503, "unavailable", "Service Unavailable", detail);
    }

    /** The router's failure handler: validation errors, auth refusals, unexpected errors. */
    static void onFailure(RoutingContext rc) {
        Throwable failure = rc.failure();
        int status = rc.statusCode() > 0 ? rc.statusCode() : 500;
        if (failure instanceof HttpException http) {
            status = http.getStatusCode();
            if (http.getCause() instanceof ValidatorException invalid) {
                send(rc, 400, "invalid-request", "Bad Request", invalid.getMessage(),
                        Map.of("errors", validationErrors(invalid)));
                return;
            }
            send(rc, status, status == 400 ? "invalid-request" : null, reason(status),
                    http.getPayload() != null ? http.getPayload() : http.getMessage());
            return;
        }
        if (failure instanceof ValidatorException invalid) {
            send(rc, 400, "invalid-request", "Bad Request", invalid.getMessage(),
                    Map.of("errors", validationErrors(invalid)));
            return;
        }
        if (status >= 500) {
            LOG.error("admin API: {} {} failed", rc.request().method(), rc.request().path(), failure);
        }
        send(rc, status, status >= 500 ? "internal" : null, reason(status),
                failure == null ? null : String.valueOf(failure.getMessage()));
    }

    /** For requests no route matched: 404 or 405. */
    static void noRoute(RoutingContext rc, int status) {
        if (status == 405) {
            send(rc, 405, "method-not-allowed", "Method Not Allowed",
                    rc.request().method() + " is not allowed on " + rc.request().path() + "; see /openapi.yaml");
        } else {
            send(rc, 404, "not-found", "Not Found", "no such resource: " + rc.request().path() + "; see /openapi.yaml");
        }
    }

    private static List<String> validationErrors(ValidatorException invalid) {
        List<String> errors = new ArrayList<>();
        if (invalid instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
            var unit = schema.getOutputUnit();
            if (unit.getErrors() != null) {
                unit.getErrors().forEach(e -> errors.add((e.getInstanceLocation() == null ? "" : e.getInstanceLocation()
                        + ": ") + e.getError()));
            }
            if (errors.isEmpty() && unit.getError() != null) {
                errors.add(unit.getError());
            }
        }
        if (errors.isEmpty()) {
            errors.add(invalid.getMessage());
        }
        return errors;
    }

    static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 503 -> "Service Unavailable";
            default -> status >= 500 ? "Internal Server Error" : "Error";
        };
    }
}
