package io.berth.cli;

import io.berth.cli.certs.CertificateAuthority;
import io.berth.events.TlsFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code berth certs}: the deployment's private CA and the certificates of its orchestrators and agents. */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = "Makes the deployment's certificate authority in DIR (once; mode 0700) and issues the "
                + "orchestrator's server certificate and agents' client certificates, for the agent gateway's "
                + "mutual TLS (BERTH_TLS_CA / BERTH_TLS_CERT / BERTH_TLS_KEY).")
final class CertsCommand implements Callable<Integer> {
    @Option(names = "--dir", required = true, paramLabel = "DIR",
            description = "Directory of the CA (ca.crt, ca.key) and the certificates issued.")
    Path dir;

    @Option(names = "--orchestrator-host", paramLabel = "HOST",
            description = "Issue the orchestrator's certificate for this host name or address (repeatable): what "
                    + "agents dial.")
    List<String> orchestratorHosts = new ArrayList<>();

    @Option(names = "--agent", paramLabel = "WORKER",
            description = "Issue an agent's certificate for this worker name (repeatable).")
    List<String> agents = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CertificateAuthority ca = CertificateAuthority.openOrCreate(dir);
        var out = spec.commandLine().getOut();
        out.printf("CA: %s (keep %s private)%n", ca.caCertificate(), ca.dir().resolve("ca.key"));
        if (!orchestratorHosts.isEmpty()) {
            print(out, "orchestrator", ca.issueOrchestrator(orchestratorHosts));
        }
        for (String worker : agents) {
            print(out, "agent " + worker, ca.issueAgent(worker));
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static void print(java.io.PrintWriter out, String who, TlsFiles files) {
        out.printf("%s: BERTH_TLS_CA=%s BERTH_TLS_CERT=%s BERTH_TLS_KEY=%s%n", who, files.ca(), files.cert(),
                files.key());
    }
}
