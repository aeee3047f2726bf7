package io.berth.cli;

import io.berth.events.TlsFiles;
import picocli.CommandLine.Option;

/** {@code --tls-ca}, {@code --tls-cert}, {@code --tls-key}: one end of the agent gateway's mutual TLS. */
final class TlsOptions {
    @Option(names = "--tls-ca", paramLabel = "PEM", defaultValue = "${env:BERTH_TLS_CA}",
            description = "CA certificate the other end's certificate must chain to (BERTH_TLS_CA).")
    String ca;

    @Option(names = "--tls-cert", paramLabel = "PEM", defaultValue = "${env:BERTH_TLS_CERT}",
            description = "This end's certificate (BERTH_TLS_CERT); an agent's carries its worker name.")
    String cert;

    @Option(names = "--tls-key", paramLabel = "PEM", defaultValue = "${env:BERTH_TLS_KEY}",
            description = "This end's private key, PKCS#8 (BERTH_TLS_KEY).")
    String key;

    /** The files, or null when none is set. */
    TlsFiles files() {
        return TlsFiles.of(ca, cert, key);
    }
}
