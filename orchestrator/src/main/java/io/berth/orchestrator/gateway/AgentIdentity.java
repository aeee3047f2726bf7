package io.berth.orchestrator.gateway;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who an agent is, as its TLS client certificate says: the certificate's common name is the one worker name the
 * agent may use. Without mutual TLS there is no identity and any name goes (the gateway then trusts its network).
 */
final class AgentIdentity {
    private AgentIdentity() {}

    /** The worker name the peer's certificate carries (its CN), or null when the connection has no certificate. */
    static String workerOf(List<Certificate> peerCertificates) {
        if (peerCertificates == null || peerCertificates.isEmpty()
                || !(peerCertificates.get(0) instanceof X509Certificate cert)) {
            return null;
        }
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }

    /** Why the hello may not be accepted from this peer, or null when it may. */
    static String refusal(String certifiedWorker, boolean tls, String helloWorker) {
        if (!tls) {
            return null;
        }
        if (certifiedWorker == null) {
            return "the agent's certificate names no worker (no common name)";
        }
        if (!certifiedWorker.equals(helloWorker)) {
            return "this agent's certificate is for worker '" + certifiedWorker + "'; it may not say it is '"
                    + helloWorker + "'";
        }
        return null;
    }
}
