package io.berth.agent.link;

/**
 * Where the orchestrator's gRPC gateway listens and how the link behaves.
 *
 * @param heartbeatMillis   interval of heartbeats on the stream
 * @param minBackoffMillis  first reconnect delay; doubles up to {@code maxBackoffMillis}
 */
public record LinkSettings(String host, int port, long heartbeatMillis, long minBackoffMillis, long maxBackoffMillis) {
    public static LinkSettings of(String host, int port) {
        return new LinkSettings(host, port, 2_000, 100, 5_000);
    }
}
