package io.berth.orchestrator.api;

/**
 * The admin API (REST, OpenAPI document, {@code /metrics}, health).
 *
 * @param httpHost  interface it listens on
 * @param httpPort  its port; 0 picks a free one; negative: no admin API
 * @param apiToken  bearer token that mutating calls must present; null or empty: mutating calls are refused
 * @param readToken bearer token that reads under {@code /api/} must present (or the API token); null or empty:
 *                  reads are open
 */
public record AdminSettings(String httpHost, int httpPort, String apiToken, String readToken) {
    public static final int DEFAULT_HTTP_PORT = 7780;
    /** On 127.0.0.1, any free port, no token (read-only): what the orchestrator's defaults use. */
    public static final AdminSettings LOOPBACK = new AdminSettings("127.0.0.1", 0, null, null);
    /** No admin API. */
    public static final AdminSettings NONE = new AdminSettings("127.0.0.1", -1, null, null);

    public AdminSettings(String httpHost, int httpPort, String apiToken) {
        this(httpHost, httpPort, apiToken, null);
    }

    /** Whether the admin API is served at all. */
    public boolean enabled() {
        return httpPort >= 0;
    }

    public AdminSettings withPort(int port) {
        return new AdminSettings(httpHost, port, apiToken, readToken);
    }

    public AdminSettings withToken(String token) {
        return new AdminSettings(httpHost, httpPort, token, readToken);
    }

    public AdminSettings withReadToken(String token) {
        return new AdminSettings(httpHost, httpPort, apiToken, token);
    }
}
