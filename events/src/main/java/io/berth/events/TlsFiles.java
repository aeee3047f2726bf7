package io.berth.events;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The PEM files of one end of the agent gateway's mutual TLS: the certificate authority that vouches for the other
 * end, and this end's own certificate and private key (PKCS#8).
 *
 * @param ca   the CA certificate the peer's certificate must chain to
 * @param cert this end's certificate
 * @param key  this end's private key
 */
public record TlsFiles(Path ca, Path cert, Path key) {
    public TlsFiles {
        if (ca == null || cert == null || key == null) {
            throw new IllegalArgumentException("TLS needs a CA certificate, a certificate and a key (all three)");
        }
    }

    /**
     * From three settings (e.g. BERTH_TLS_CA, BERTH_TLS_CERT, BERTH_TLS_KEY): null when none is set, an error naming
     * the missing ones when only some are, or when a file cannot be read.
     */
    public static TlsFiles of(String ca, String cert, String key) {
        boolean any = set(ca) || set(cert) || set(key);
        if (!any) {
            return null;
        }
        if (!set(ca) || !set(cert) || !set(key)) {
            throw new IllegalArgumentException("TLS needs all of BERTH_TLS_CA, BERTH_TLS_CERT and BERTH_TLS_KEY; missing: "
                    + (set(ca) ? "" : "BERTH_TLS_CA ") + (set(cert) ? "" : "BERTH_TLS_CERT ")
                    + (set(key) ? "" : "BERTH_TLS_KEY"));
        }
        TlsFiles files = new TlsFiles(Path.of(ca), Path.of(cert), Path.of(key));
        for (Path p : new Path[] {files.ca(), files.cert(), files.key()}) {
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("cannot read " + p);
            }
        }
        return files;
    }

    private static boolean set(String value) {
        return value != null && !value.isBlank();
    }
}
