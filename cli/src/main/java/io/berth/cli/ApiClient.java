package io.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The admin API as the CLI's views use it: blocking JSON calls, problem documents turned into messages. */
final class ApiClient {
    /** {@code --api}, {@code --token}, {@code --json}: shared by every command that talks to the admin API. */
    static final class Options {
        @Option(names = "--api", paramLabel = "URL", defaultValue = "${env:BERTH_API:-http://127.0.0.1:7780}",
                description = "The orchestrator's admin API (default: $BERTH_API or ${DEFAULT-VALUE}).")
        String api;

        @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:BERTH_API_TOKEN}",
                description = "Bearer token for calls that change something (default: $BERTH_API_TOKEN).")
        String token;

        @Option(names = "--read-token", paramLabel = "TOKEN", defaultValue = "${env:BERTH_API_READ_TOKEN}",
                description = "Bearer token for reads when the orchestrator requires one and no --token is given "
                        + "(default: $BERTH_API_READ_TOKEN).")
        String readToken;

        @Option(names = "--json", description = "Print the API's JSON instead of a table.")
        boolean json;

        ApiClient client() {
            return new ApiClient(api, token == null || token.isBlank() ? readToken : token);
        }
    }

    /** The API answered with an error (a problem document) or could not be reached. */
    static final class ApiException extends Exception {
        final int status;

        ApiException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ApiClient(String base, String token) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token == null || token.isBlank() ? null : token;
    }

    JsonNode get(String path) throws ApiException {
        return send(request(path).GET().build());
    }

    JsonNode post(String path, String jsonBody) throws ApiException {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody)).build());
    }

    JsonNode delete(String path) throws ApiException {
        return send(request(path).DELETE().build());
    }

    /** Opens a streamed text answer (service logs); the caller reads and closes the stream. */
    InputStream stream(String path) throws ApiException {
        HttpRequest request = request(path).GET().build();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() >= 400) {
                byte[] body;
                try (InputStream in = response.body()) {
                    body = in.readAllBytes();
                }
                throw problem(response.statusCode(), body);
            }
            return response.body();
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted");
        }
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json, application/problem+json, text/plain");
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private JsonNode send(HttpRequest request) throws ApiException {
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() >= 400) {
                throw problem(response.statusCode(), response.body());
            }
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted");
        }
    }

    private ApiException unreachable(IOException e) {
        String why = e instanceof ConnectException ? "connection refused" : String.valueOf(e.getMessage());
        return new ApiException(0, "cannot reach the admin API at " + base + " (" + why
                + "); is Berth running? Use --api or $BERTH_API");
    }

    private static ApiException problem(int status, byte[] body) {
        try {
            JsonNode problem = Json.MAPPER.readTree(body);
            String title = problem.path("title").asText("HTTP " + status);
            String detail = problem.path("detail").asText("");
            return new ApiException(status, title + (detail.isEmpty() ? "" : ": " + detail));
        } catch (IOException | RuntimeException e) {
            return new ApiException(status, "HTTP " + status + ": " + new String(body, StandardCharsets.UTF_8));
        }
    }
}
