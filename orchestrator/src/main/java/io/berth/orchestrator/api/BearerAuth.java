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
 */
final class BearerAuth implements Handler<RoutingContext> {
    private final OpenAPIContract contract;
    private final byte[] token;

    BearerAuth(OpenAPIContract contract, String token) {
        this.contract = contract;
        this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void handle(RoutingContext rc) {
        Operation operation = contract.findOperation(rc.normalizedPath(), rc.request().method());
        if (operation == null || operation.getSecurityRequirements() == null
                || operation.getSecurityRequirements().isEmpty()) {
            rc.next();
            return;
        }
        String header = rc.request().getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"berth\"");
            Problems.send(rc, 401, "unauthorized", "Unauthorized",
                    operation.getOperationId() + " changes Berth's state: send 'Authorization: Bearer <token>' "
                            + "with the orchestrator's API token (BERTH_API_TOKEN)");
            return;
        }
        if (token == null) {
            Problems.send(rc, 403, "forbidden", "Forbidden",
                    "this orchestrator has no API token configured (BERTH_API_TOKEN), so its admin API is read-only");
            return;
        }
        byte[] presented = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(presented, token)) {
            Problems.send(rc, 403, "forbidden", "Forbidden", "the bearer token is not this orchestrator's API token");
            return;
        }
        rc.next();
    }
}
