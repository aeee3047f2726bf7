package io.berth.orchestrator.api;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/** The admin API's OpenAPI document: read from the classpath, and adapted for the request validator. */
final class OpenApiDocument {
    /** The document, on the classpath. */
    static final String RESOURCE = "/io/berth/orchestrator/api/openapi.yaml";

    private OpenApiDocument() {}

    /** The OpenAPI document's text. */
    static String yaml() {
        try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The OpenAPI document as JSON. */
    @SuppressWarnings("unchecked")
    static JsonObject json() {
        return new JsonObject((Map<String, Object>) new Yaml().load(yaml()));
    }

    /**
     * The document as vertx-openapi 5.0 accepts it: it refuses response media types other than JSON, text and a few
     * more, so {@code application/problem+json} is given to it as {@code application/json} and
     * {@code application/yaml} as {@code text/plain}. Only responses change, and requests are what it validates;
     * the document served is the original.
     */
    static JsonObject forValidator(JsonObject document) {
        JsonObject copy = document.copy();
        rewriteResponseContent(copy.getJsonObject("paths"));
        JsonObject components = copy.getJsonObject("components");
        if (components != null && components.getJsonObject("responses") != null) {
            components.getJsonObject("responses").forEach(e -> rewriteContent((JsonObject) e.getValue()));
        }
        return copy;
    }

    private static void rewriteResponseContent(JsonObject paths) {
        paths.forEach(path -> ((JsonObject) path.getValue()).forEach(op -> {
            if (op.getValue() instanceof JsonObject operation && operation.getJsonObject("responses") != null) {
                operation.getJsonObject("responses").forEach(r -> {
                    if (r.getValue() instanceof JsonObject response) {
                        rewriteContent(response);
                    }
                });
            }
        }));
    }

    private static void rewriteContent(JsonObject response) {
        JsonObject content = response.getJsonObject("content");
        if (content == null) {
            return;
        }
        JsonObject rewritten = new JsonObject();
        content.forEach(e -> {
            String type = e.getKey();
            if (type.equals("application/problem+json")) {
                type = "application/json";
            } else if (type.equals("application/yaml")) {
                type = "text/plain";
            }
            rewritten.put(type, e.getValue());
        });
        response.put("content", rewritten);
    }
}
