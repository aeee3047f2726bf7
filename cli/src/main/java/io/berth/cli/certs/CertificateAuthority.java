package io.berth.cli.certs;

import io.berth.events.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The private certificate authority of one Berth deployment, in a directory only its owner can read
 * ({@code ca.crt}, {@code ca.key}). It signs the orchestrator's server certificate ({@code orchestrator.crt}, with
 * the host names and addresses agents dial) and one client certificate per worker ({@code agent-NAME.crt}, the
 * worker's name as its common name: the gateway lets an agent say only the name its certificate carries). Keys are
 * EC P-256, written PKCS#8, mode 0600.
 */
public final class CertificateAuthority {
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration LEAF_VALIDITY = Duration.ofDays(825);
    private static final Pattern WORKER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final X509Certificate caCert;
    private final PrivateKey caKey;

    private CertificateAuthority(Path dir, X509Certificate caCert, PrivateKey caKey) {
        this.dir = dir;
        this.caCert = caCert;
        this.caKey = caKey;
    }

    /** The CA in {@code dir}, made there (and the directory, mode 0700) when it has none yet. */
    public static CertificateAuthority openOrCreate(Path dir) {
        try {
            if (Files.exists(dir.resolve("ca.crt")) && Files.exists(dir.resolve("ca.key"))) {
                return new CertificateAuthority(dir, readCert(dir.resolve("ca.crt")), readKey(dir.resolve("ca.key")));
            }
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            KeyPair pair = newKeyPair();
            X500Name name = name("Berth deployment CA " + Long.toHexString(RANDOM.nextLong()));
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(), notBefore(),
                    Date.from(Instant.now().plus(CA_VALIDITY)), name, pair.getPublic());
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    utils.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(builder, pair.getPrivate());
            writeKey(dir.resolve("ca.key"), pair.getPrivate());
            writeCert(dir.resolve("ca.crt"), cert);
            return new CertificateAuthority(dir, cert, pair.getPrivate());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the certificate authority in " + dir, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a certificate authority: " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    /** The orchestrator's server certificate for these host names and IP addresses (what agents dial). */
    public TlsFiles issueOrchestrator(List<String> hosts) {
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("the orchestrator's certificate needs at least one host name or address");
        }
        List<GeneralName> names = new ArrayList<>();
        for (String host : hosts) {
            names.add(isAddress(host) ? new GeneralName(GeneralName.iPAddress, host)
                    : new GeneralName(GeneralName.dNSName, host));
        }
        return issue("orchestrator", "berth-orchestrator", KeyPurposeId.id_kp_serverAuth,
                new GeneralNames(names.toArray(GeneralName[]::new)));
    }

    /** A worker agent's client certificate: {@code worker} is its common name, the only name it may say it is. */
    public TlsFiles issueAgent(String worker) {
        if (worker == null || !WORKER.matcher(worker).matches()) {
            throw new IllegalArgumentException("'" + worker + "' is not a worker name: letters, digits, '.', '_', '-'");
        }
        return issue("agent-" + worker, worker, KeyPurposeId.id_kp_clientAuth, null);
    }

    private TlsFiles issue(String file, String commonName, KeyPurposeId purpose, GeneralNames altNames) {
        try {
            KeyPair pair = newKeyPair();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCert, serial(), notBefore(),
                    Date.from(Instant.now().plus(LEAF_VALIDITY)), name(commonName), pair.getPublic());
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(caCert));
            if (altNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
            }
            X509Certificate cert = sign(builder, caKey);
            Path key = dir.resolve(file + ".key");
            Path crt = dir.resolve(file + ".crt");
            writeKey(key, pair.getPrivate());
            writeCert(crt, cert);
            return new TlsFiles(caCertificate(), crt, key);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a certificate to " + dir, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate: " + e.getMessage(), e);
        }
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Berth").addRDN(BCStyle.CN, commonName).build();
    }

    private static boolean isAddress(String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).abs().add(BigInteger.ONE);
    }

    private static Date notBefore() {
        return Date.from(Instant.now().minus(Duration.ofMinutes(5))); // a little clock skew between machines
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static void writeCert(Path file, X509Certificate cert) throws IOException, GeneralSecurityException {
        Files.writeString(file, pem("CERTIFICATE", cert.getEncoded()), StandardCharsets.US_ASCII);
    }

    private static void writeKey(Path file, PrivateKey key) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static X509Certificate readCert(Path file) throws IOException, GeneralSecurityException {
        try (var in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII)
                .replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(text)));
    }
}
