package io.berth.orchestrator.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Requires {@code Authorization: Bearer <token>} on the operations the OpenAPI document secures (its mutating
 * calls), before anything else looks at the request: none → 401 with {@code WWW-Authenticate}, a wrong one → 403.
 * With no token configured, secured operations are refused (403): a read-only admin API.
 *
 * <p>With a read token configured ({@code BERTH_API_READ_TOKEN}), the reads under {@code /api/} (workers, tasks,
 * logs) need it too, or the API token; health, readiness, metrics and the OpenAPI document stay open.
 */
final class BearerAuth implements Handler<RoutingContext> {
    private final OpenAPIContract contract;
    private final byte[] token;
    private final byte[] readToken;

    BearerAuth(OpenAPIContract contract, String token, String readToken) {
        this.contract = contract;
        this.token = bytes(token);
        this.readToken = bytes(readToken);
    }

    private static byte[] bytes(String token) {
        return token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void handle(RoutingContext rc) {
        Operation operation = contract.findOperation(rc.normalizedPath(), rc.request().method());
        boolean mutating = operation != null && operation.getSecurityRequirements() != null
                && !operation.getSecurityRequirements().isEmpty();
        if (!mutating) {
            if (readToken == null || !rc.normalizedPath().startsWith("/api/")) {
                rc.next();
                return;
            }
            byte[] presented = presented(rc, "reading " + rc.normalizedPath() + " needs the API read token "
                    + "(BERTH_API_READ_TOKEN) or the API token");
            if (presented == null) {
                return;
            }
            if (!MessageDigest.isEqual(presented, readToken) && (token == null || !MessageDigest.isEqual(presented, token))) {
                Problems.send(rc, 403, "forbidden", "Forbidden", "the bearer token is not this orchestrator's read "
                        + "token nor its API token");
                return;
            }
            rc.next();
            return;
        }
        byte[] presented = presented(rc, operation.getOperationId() + " changes Berth's state: send "
                + "'Authorization: Bearer <token>' with the orchestrator's API token (BERTH_API_TOKEN)");
        if (presented == null) {
            return;
        }
        if (token == null) {
            Problems.send(rc, 403, "forbidden", "Forbidden",
                    "this orchestrator has no API token configured (BERTH_API_TOKEN), so its admin API is read-only");
            return;
        }
        if (!MessageDigest.isEqual(presented, token)) {
            Problems.send(rc, 403, "forbidden", "Forbidden", "the bearer token is not this orchestrator's API token");
            return;
        }
        rc.next();
    }

    /** The presented bearer token, or null after answering 401 when there is none. */
    private static byte[] presented(RoutingContext rc, String detail) {
        String header = rc.request().getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"berth\"");
            Problems.send(rc, 401, "unauthorized", "Unauthorized", detail);
            return null;
        }
        return header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    }
}
