package io.factfleet.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS as an operator credential, over real HTTPS: a service that asks for client certificates
 * ({@code factfleet.http.tls.client.auth}) knows a caller by its certificate's subject when the certificate chains
 * to its truststore and the operators file lists the subject, and refuses every other certificate.
 */
class MutualTlsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PASSWORD = "mtls-test";
    private static final Ed25519Keys.SigningKey ROOT = Ed25519Keys.generate();

    @TempDir
    static Path dir;
    private static Pki trustedCa;
    private static Pki strangerCa;
    private static Path truststore;
    private static Path serverKeystore;
    private static Javalin requested;
    private static Javalin required;

    /** A certificate authority that issues PKCS12 keystores. */
    private record Pki(KeyPair keys, X509Certificate certificate) {
        static Pki create(final String name) throws Exception {
            final KeyPair keys = ecKeys();
            final X500Name subject = rfc2253(name);
            final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(System.nanoTime()),
                    Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plus(Duration.ofDays(2))), subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            return new Pki(keys, sign(builder, keys));
        }

        /** A keystore holding a certificate for {@code subject} issued by this authority, with its key. */
        Path issue(final String subject, final Path file) throws Exception {
            final KeyPair leaf = ecKeys();
            final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, BigInteger.valueOf(System.nanoTime()),
                    Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plus(Duration.ofDays(2))), rfc2253(subject), leaf.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            final X509Certificate issued = sign(builder, keys);
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("me", leaf.getPrivate(), PASSWORD.toCharArray(), new java.security.cert.Certificate[] {issued, certificate});
            try (OutputStream out = Files.newOutputStream(file)) {
                store.store(out, PASSWORD.toCharArray());
            }
            return file;
        }

        /** The name as RFC 2253 (and the JDK) read it: BouncyCastle's string parser keeps the opposite order. */
        private static X500Name rfc2253(final String dn) {
            return X500Name.getInstance(new javax.security.auth.x500.X500Principal(dn).getEncoded());
        }

        private static KeyPair ecKeys() throws Exception {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        }

        private static X509Certificate sign(final JcaX509v3CertificateBuilder builder, final KeyPair issuer) throws Exception {
            return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
        }
    }

    @BeforeAll
    static void start() throws Exception {
        trustedCa = Pki.create("CN=FactFleet test operators CA");
        strangerCa = Pki.create("CN=Somebody else's CA");
        truststore = dir.resolve("trust.p12");
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("operators-ca", trustedCa.certificate());
        try (OutputStream out = Files.newOutputStream(truststore)) {
            trust.store(out, PASSWORD.toCharArray());
        }
        serverKeystore = trustedCa.issue("CN=localhost,OU=reducer,O=FactFleet", dir.resolve("server.p12"));
        trustedCa.issue("CN=alice,O=Example", dir.resolve("alice.p12"));
        trustedCa.issue("CN=mallory,O=Example", dir.resolve("mallory.p12"));
        strangerCa.issue("CN=alice,O=Example", dir.resolve("alice-forged.p12"));

        final Path operators = dir.resolve("operators.json");
        OperatorsFile.write(operators, List.of(
                OperatorEntry.ed25519("root", List.of(Hashing.hex(ROOT.publicKey())), Map.of("*", List.of("admin"))),
                // Listed with other spacing and case than the certificate spells it: subjects compare canonically.
                new OperatorEntry("alice", List.of(), null, "cn=Alice, o=example", null, Map.of("a", List.of("viewer"))),
                new OperatorEntry("svc-reducer", List.of(), null, "CN=localhost,OU=reducer,O=FactFleet", null, Map.of("*", List.of("viewer")))));
        requested = serve(operators, HttpTls.ClientAuth.REQUESTED);
        required = serve(operators, HttpTls.ClientAuth.REQUIRED);
    }

    private static Properties tls(final HttpTls.ClientAuth clientAuth) {
        final Properties p = new Properties();
        p.setProperty(HttpTls.KEYSTORE_PATH, serverKeystore.toString());
        p.setProperty(HttpTls.KEYSTORE_PASSWORD, PASSWORD);
        p.setProperty(HttpTls.TRUSTSTORE_PATH, truststore.toString());
        p.setProperty(HttpTls.TRUSTSTORE_PASSWORD, PASSWORD);
        p.setProperty(HttpTls.CLIENT_AUTH, clientAuth.label());
        return p;
    }

    private static Javalin serve(final Path operators, final HttpTls.ClientAuth clientAuth) {
        final Properties p = tls(clientAuth);
        p.setProperty(OperatorAuthConfig.OPERATORS_FILE, operators.toString());
        final OperatorAuth auth = OperatorAuth.fromProperties(p, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        final HttpTls tls = HttpTls.from(p);
        final Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            auth.configure(c);
            tls.serve(c, "127.0.0.1", 0);
        });
        app.get("/authorities/{id}/state", ctx -> ctx.result(OperatorAuth.caller(ctx).map(c -> c.id() + " " + c.method()).orElse("?")),
                AccessRule.authority(Permission.STATE_READ));
        return app.start();
    }

    @AfterAll
    static void stop() {
        requested.stop();
        required.stop();
    }

    private static HttpClient client(final Optional<Path> certificate) {
        return HttpClient.newBuilder().sslContext(HttpTls.sslContext(certificate.map(c -> new HttpTls.Store(c, PASSWORD, "PKCS12")),
                Optional.of(new HttpTls.Store(truststore, PASSWORD, "PKCS12")))).build();
    }

    private static HttpResponse<String> get(final HttpClient client, final Javalin app, final String authority) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + app.port() + "/authorities/" + authority + "/state"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String code(final HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body()).path("code").asText();
    }

    @Test
    void aListedCertificateIsItsOperatorWithItsGrantsAndNoMore() throws Exception {
        final HttpClient alice = client(Optional.of(dir.resolve("alice.p12")));
        for (final Javalin app : List.of(requested, required)) {
            final HttpResponse<String> own = get(alice, app, "a");
            assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
            assertThat(own.body()).isEqualTo("alice MTLS");
            final HttpResponse<String> other = get(alice, app, "b");
            assertThat(other.statusCode()).isEqualTo(403);
            assertThat(code(other)).isEqualTo("OTHER_AUTHORITY");
        }
    }

    @Test
    void aTrustedCertificateWhoseSubjectIsNotListedIsAnUnknownOperator() throws Exception {
        final HttpResponse<String> r = get(client(Optional.of(dir.resolve("mallory.p12"))), requested, "a");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(code(r)).isEqualTo("UNKNOWN_OPERATOR");
        assertThat(JSON.readTree(r.body()).path("message").asText()).contains("CN=mallory,O=Example");
    }

    @Test
    void aCertificateFromAnUntrustedAuthorityNamingAListedSubjectGetsNothing() throws Exception {
        for (final Javalin app : List.of(requested, required)) {
            final Throwable failure = catchThrowable(() -> {
                final HttpResponse<String> r = get(client(Optional.of(dir.resolve("alice-forged.p12"))), app, "a");
                assertThat(r.statusCode()).as("a forged alice").isEqualTo(401);
            });
            if (failure != null) {
                assertThat(failure).as("the TLS handshake refuses the forged certificate").isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void withoutACertificateARequestedServiceAsksForCredentialsAndARequiredOneRefusesTheConnection() throws Exception {
        final HttpResponse<String> r = get(client(Optional.empty()), requested, "a");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(code(r)).isEqualTo("UNAUTHENTICATED");
        assertThatThrownBy(() -> get(client(Optional.empty()), required, "a")).isInstanceOf(IOException.class);
    }

    @Test
    void anAuthorizationHeaderDecidesEvenWhenACertificateComesWithIt() throws Exception {
        final URI uri = URI.create("https://localhost:" + requested.port() + "/authorities/b/state");
        final HttpRequest signed = OperatorCredential.ed25519(ROOT).sign(HttpRequest.newBuilder(uri), "GET", uri, new byte[0]).GET().build();
        final HttpResponse<String> r = client(Optional.of(dir.resolve("alice.p12"))).send(signed, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("root ED25519");
    }

    @Test
    void aServicesOwnClientPresentsItsCertificateSoAForwardingInstanceIsKnownByIt() throws Exception {
        final HttpClient service = HttpTls.from(tls(HttpTls.ClientAuth.REQUIRED)).trusting(HttpClient.newBuilder()).build();
        final HttpResponse<String> r = get(service, required, "b");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("svc-reducer MTLS");
    }

    @Test
    void clientAuthenticationIsRefusedWithoutATruststoreOrWithAnUnknownValue() {
        final Properties noTrust = tls(HttpTls.ClientAuth.REQUIRED);
        noTrust.remove(HttpTls.TRUSTSTORE_PATH);
        assertThatThrownBy(() -> HttpTls.from(noTrust)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(HttpTls.TRUSTSTORE_PATH);
        final Properties typo = tls(HttpTls.ClientAuth.REQUIRED);
        typo.setProperty(HttpTls.CLIENT_AUTH, "need");
        assertThatThrownBy(() -> HttpTls.from(typo)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none, requested or required");
    }

    @Test
    void anOperatorsFileWithASubjectThatIsNotADistinguishedNameIsRefusedWithTheEntry() throws Exception {
        final Path bad = dir.resolve("bad-operators.json");
        Files.writeString(bad, "{\"operators\": [{\"id\": \"bob\", \"tlsSubject\": \"bob at example\", \"grants\": {\"a\": [\"viewer\"]}}]}");
        Files.setPosixFilePermissions(bad, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        final Properties p = new Properties();
        p.setProperty(OperatorAuthConfig.OPERATORS_FILE, bad.toString());
        assertThatThrownBy(() -> OperatorAuth.fromProperties(p, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("operator 'bob'").hasMessageContaining("RFC 2253");
    }
}
