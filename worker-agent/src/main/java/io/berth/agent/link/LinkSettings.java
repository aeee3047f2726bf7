package io.berth.agent.link;

import io.berth.events.TlsFiles;
import java.util.List;

/**
 * Where the orchestrators' gRPC gateways listen and how the links behave. The agent keeps one link to every
 * orchestrator instance: whichever instance owns a task (its partition) can command the agent.
 *
 * @param orchestrators     every orchestrator instance's gateway; at least one
 * @param heartbeatMillis   interval of heartbeats on each stream
 * @param minBackoffMillis  first reconnect delay; doubles up to {@code maxBackoffMillis}
 * @param tls               this agent's certificate (its worker name as common name) and the CA the orchestrators'
 *                          certificates must chain to; null: plaintext
 */
public record LinkSettings(List<Address> orchestrators, long heartbeatMillis, long minBackoffMillis,
                           long maxBackoffMillis, TlsFiles tls) {
    public LinkSettings {
        orchestrators = List.copyOf(orchestrators);
        if (orchestrators.isEmpty()) {
            throw new IllegalArgumentException("at least one orchestrator address is needed");
        }
    }

    public LinkSettings(List<Address> orchestrators, long heartbeatMillis, long minBackoffMillis,
                        long maxBackoffMillis) {
        this(orchestrators, heartbeatMillis, minBackoffMillis, maxBackoffMillis, null);
    }

    /** The same, over mutual TLS with these files. */
    public LinkSettings withTls(TlsFiles files) {
        return new LinkSettings(orchestrators, heartbeatMillis, minBackoffMillis, maxBackoffMillis, files);
    }

    /** One orchestrator's gateway. */
    public record Address(String host, int port) {
        /** {@code HOST:PORT}. */
        public static Address parse(String hostPort) {
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("not HOST:PORT: " + hostPort);
            }
            return new Address(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    public static LinkSettings of(String host, int port) {
        return of(List.of(new Address(host, port)));
    }

    public static LinkSettings of(List<Address> orchestrators) {
        return new LinkSettings(orchestrators, 2_000, 100, 5_000);
    }

    /** The first orchestrator's host (the only one's, for a single link). */
    public String host() {
        return orchestrators.get(0).host();
    }

    public int port() {
        return orchestrators.get(0).port();
    }

    /** The settings of one link per orchestrator. */
    public List<LinkSettings> perOrchestrator() {
        return orchestrators.stream()
                .map(a -> new LinkSettings(List.of(a), heartbeatMillis, minBackoffMillis, maxBackoffMillis, tls))
                .toList();
    }
}
