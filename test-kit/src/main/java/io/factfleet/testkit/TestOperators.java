package io.factfleet.testkit;

import io.factfleet.auth.OperatorAuthConfig;
import io.factfleet.auth.OperatorCredential;
import io.factfleet.auth.OperatorEntry;
import io.factfleet.auth.OperatorsFile;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Operators for services started in tests and benchmarks with operator authentication on, as a deployment would run
 * them: an operators file granting {@link #ADMIN} admin on every authority, the bridge a key of its own
 * ({@code viewer}), and the services a basic login to the registry ({@code service}).
 * <pre>{@code
 * TestOperators operators = TestOperators.create(dir);
 * Properties reducer = operators.serviceProps();              // + the service's own settings
 * HttpRequest request = TestOperators.get(uri).build();       // signed by ADMIN
 * }</pre>
 */
public final class TestOperators {
    private static final String REGISTRY_USER = "svc-registry";

    /**
     * The tests' operator: a fixed key (its seed is a public string: for tests and benchmarks only), the same in every
     * operators file this class writes, so one request helper serves every cluster of a test.
     */
    public static final Ed25519Keys.SigningKey ADMIN = Ed25519Keys.fromSeed(Hashing.sha256("factfleet system tests operator".getBytes(StandardCharsets.UTF_8)));
    private final Path operatorsFile;
    private final Path bridgeKey;
    private final String registryPassword = randomHex();
    private final Properties extra = new Properties();

    private TestOperators(final Path dir) {
        try {
            Files.createDirectories(dir);
            operatorsFile = dir.resolve("operators.json");
            bridgeKey = dir.resolve("bridge.key");
            final Ed25519Keys.SigningKey bridge = Ed25519Keys.generate();
            Files.writeString(bridgeKey, Hashing.hex(bridge.seed()), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(bridgeKey, PosixFilePermissions.fromString("rw-------"));
            OperatorsFile.write(operatorsFile, List.of(
                    OperatorEntry.ed25519("it-admin", List.of(Hashing.hex(ADMIN.publicKey())), Map.of("*", List.of("admin"))),
                    OperatorEntry.ed25519("svc-bridge", List.of(Hashing.hex(bridge.publicKey())), Map.of("*", List.of("viewer"))),
                    new OperatorEntry(REGISTRY_USER, List.of(), null, null, new OperatorEntry.BasicLogin(REGISTRY_USER,
                            OperatorsFile.bcrypt(registryPassword.toCharArray())), Map.of("*", List.of("service")))));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String randomHex() {
        final byte[] bytes = new byte[16];
        new java.security.SecureRandom().nextBytes(bytes);
        return Hashing.hex(bytes);
    }

    /** Writes the operators file and the bridge's key into {@code dir}. */
    public static TestOperators create(final Path dir) {
        return new TestOperators(dir);
    }

    /** Adds (or replaces) an operator in the operators file; call before the services start. */
    public TestOperators with(final OperatorEntry operator) {
        try {
            OperatorsFile.put(operatorsFile, operator);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A setting every service gets (a JWKS for bearer tokens, for example). */
    public TestOperators withServiceProperty(final String key, final String value) {
        extra.setProperty(key, value);
        return this;
    }

    /**
     * Every service serves HTTPS with the certificate in {@code keystore} (PKCS12) and trusts it when it calls the
     * others, the registry included (Confluent's {@code schema.registry.ssl.truststore.*}).
     */
    public TestOperators withTls(final Path keystore, final String password) {
        return withTls(keystore, keystore, password);
    }

    /**
     * As {@link #withTls(Path, String)}, trusting the certificates in {@code truststore} (PKCS12, same password): the
     * services' own and, with {@code factfleet.http.tls.client.auth}, the operators' client certificates.
     */
    public TestOperators withTls(final Path keystore, final Path truststore, final String password) {
        for (final String[] kv : new String[][] {
                {"factfleet.http.tls.keystore.path", keystore.toString()}, {"factfleet.http.tls.keystore.password", password},
                {"factfleet.http.tls.truststore.path", truststore.toString()}, {"factfleet.http.tls.truststore.password", password},
                {"schema.registry.ssl.truststore.location", truststore.toString()}, {"schema.registry.ssl.truststore.password", password}}) {
            extra.setProperty(kv[0], kv[1]);
        }
        return this;
    }

    /** The operators file the services follow. */
    public Path operatorsFile() {
        return operatorsFile;
    }

    /** What every service is configured with: the operators file and its registry login. */
    public Properties serviceProps() {
        final Properties p = new Properties();
        p.setProperty(OperatorAuthConfig.OPERATORS_FILE, operatorsFile.toString());
        p.setProperty("basic.auth.credentials.source", "USER_INFO");
        p.setProperty("basic.auth.user.info", REGISTRY_USER + ":" + registryPassword);
        p.putAll(extra);
        return p;
    }

    /** A service's properties plus its key for calling the reducer (the bridge). */
    public Properties bridgeProps() {
        final Properties p = serviceProps();
        p.setProperty(OperatorCredential.CLIENT_KEY_FILE, bridgeKey.toString());
        return p;
    }

    /** A registry client's configuration with the registry login. */
    public Map<String, Object> registryClient(final String url) {
        final Map<String, Object> c = new HashMap<>();
        c.put("schema.registry.url", url);
        c.put("basic.auth.credentials.source", "USER_INFO");
        c.put("basic.auth.user.info", REGISTRY_USER + ":" + registryPassword);
        extra.stringPropertyNames().stream().filter(k -> k.startsWith("schema.registry.ssl.")).forEach(k -> c.put(k, extra.getProperty(k)));
        return c;
    }

    /** The test operator's credential (admin on every authority). */
    public static OperatorCredential credential() {
        return OperatorCredential.ed25519(ADMIN);
    }

    /** A GET signed by the test operator. */
    public static HttpRequest.Builder get(final URI uri) {
        return credential().sign(HttpRequest.newBuilder(uri), "GET", uri, new byte[0]).GET();
    }

    /** A POST of {@code body} signed by the test operator. */
    public static HttpRequest.Builder post(final URI uri, final String body) {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return credential().sign(HttpRequest.newBuilder(uri), "POST", uri, bytes)
                .POST(bytes.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes));
    }
}
