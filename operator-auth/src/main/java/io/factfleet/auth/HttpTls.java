package io.factfleet.auth;

import io.javalin.config.JavalinConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * TLS for an operator-facing HTTP service and for the clients that call it, configured like the edge bridge's
 * ({@code bridge.tls.keystore.*}) but under one set of keys every service reads from its own properties:
 * <table>
 * <caption>Properties</caption>
 * <tr><th>property</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@value #KEYSTORE_PATH}</td><td>none: plain HTTP</td><td>keystore of the server certificate; the service then
 *     serves HTTPS (only) on its port</td></tr>
 * <tr><td>{@value #KEYSTORE_PASSWORD}</td><td>none</td><td>required with a keystore</td></tr>
 * <tr><td>{@value #KEYSTORE_TYPE}</td><td>{@value #DEFAULT_TYPE}</td><td></td></tr>
 * <tr><td>{@value #TRUSTSTORE_PATH}</td><td>none: the JVM's trust</td><td>certificates the service trusts when it calls
 *     others (forwarding to the owning instance, the console and the bridge reading the reducer)</td></tr>
 * <tr><td>{@value #TRUSTSTORE_PASSWORD}</td><td>none</td><td></td></tr>
 * <tr><td>{@value #TRUSTSTORE_TYPE}</td><td>{@value #DEFAULT_TYPE}</td><td></td></tr>
 * <tr><td>{@value #CLIENT_AUTH}</td><td>{@code none}</td><td>mutual TLS, as Kafka's {@code ssl.client.auth} names it:
 *     {@code requested} asks callers for a certificate (one whose subject the operators file lists authenticates them
 *     when they send no Authorization header), {@code required} refuses a TLS connection without one; both check the
 *     certificate against the truststore, which must then be set</td></tr>
 * </table>
 * A service's own calls to the others present its keystore's certificate when they ask for one (so a reducer that
 * forwards a certificate-authenticated caller's request is itself authenticated by its certificate: the forwarding
 * instance has already checked the caller's grants for the route).
 *
 * @param keystore   the server's certificate and key, if it serves TLS
 * @param truststore what its clients trust, if not the JVM's default (and, with client authentication, which client
 *                   certificates it accepts)
 * @param clientAuth whether callers are asked for a certificate
 */
public record HttpTls(Optional<Store> keystore, Optional<Store> truststore, ClientAuth clientAuth) {
    /** Mutual TLS: whether a service asks its callers for a certificate. */
    public enum ClientAuth {
        /** No client certificates (the default). */
        NONE,
        /** Asks for one; a caller without one authenticates another way. */
        REQUESTED,
        /** A TLS connection without a trusted client certificate is refused. */
        REQUIRED;

        /** The property's value, as Kafka's {@code ssl.client.auth} spells it. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static final String CLIENT_AUTH = "factfleet.http.tls.client.auth";
    public static final String KEYSTORE_PATH = "factfleet.http.tls.keystore.path";
    public static final String KEYSTORE_PASSWORD = "factfleet.http.tls.keystore.password";
    public static final String KEYSTORE_TYPE = "factfleet.http.tls.keystore.type";
    public static final String TRUSTSTORE_PATH = "factfleet.http.tls.truststore.path";
    public static final String TRUSTSTORE_PASSWORD = "factfleet.http.tls.truststore.password";
    public static final String TRUSTSTORE_TYPE = "factfleet.http.tls.truststore.type";
    public static final String DEFAULT_TYPE = "PKCS12";

    /**
     * A key or trust store file.
     *
     * @param path     the file
     * @param password its password (never logged)
     * @param type     {@code PKCS12} or {@code JKS}
     */
    public record Store(Path path, String password, String type) {
        @Override
        public String toString() {
            return "Store[" + path + ", " + type + "]";
        }
    }

    /** Plain HTTP, the JVM's trust. */
    public static HttpTls none() {
        return new HttpTls(Optional.empty(), Optional.empty(), ClientAuth.NONE);
    }

    /**
     * The settings among a service's properties.
     *
     * @throws IllegalArgumentException when a store is named without its password, or client authentication is asked
     *                                  for without TLS or without a truststore
     */
    public static HttpTls from(final Map<?, ?> properties) {
        final Object auth = properties.get(CLIENT_AUTH);
        final String label = auth == null || auth.toString().isBlank() ? "none" : auth.toString().strip();
        final ClientAuth clientAuth = java.util.Arrays.stream(ClientAuth.values()).filter(c -> c.label().equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(CLIENT_AUTH + " must be none, requested or required, not '" + label + "'"));
        final HttpTls tls = new HttpTls(store(properties, KEYSTORE_PATH, KEYSTORE_PASSWORD, KEYSTORE_TYPE),
                store(properties, TRUSTSTORE_PATH, TRUSTSTORE_PASSWORD, TRUSTSTORE_TYPE), clientAuth);
        if (clientAuth != ClientAuth.NONE && (tls.keystore.isEmpty() || tls.truststore.isEmpty())) {
            throw new IllegalArgumentException(CLIENT_AUTH + "=" + label + " needs TLS (" + KEYSTORE_PATH + ") and the certificates of the "
                    + "authorities that issue your operators' certificates (" + TRUSTSTORE_PATH + ")");
        }
        return tls;
    }

    private static Optional<Store> store(final Map<?, ?> p, final String pathKey, final String passwordKey, final String typeKey) {
        final Object path = p.get(pathKey);
        if (path == null || path.toString().isBlank()) {
            return Optional.empty();
        }
        final Object password = p.get(passwordKey);
        if (password == null) {
            throw new IllegalArgumentException(passwordKey + " is required when " + pathKey + " is set");
        }
        final Object type = p.get(typeKey);
        return Optional.of(new Store(Path.of(path.toString().strip()), password.toString(),
                type == null || type.toString().isBlank() ? DEFAULT_TYPE : type.toString().strip()));
    }

    /** {@code https} when the service serves TLS, else {@code http}. */
    public String scheme() {
        return keystore.isPresent() ? "https" : "http";
    }

    /**
     * Makes the Javalin app serve HTTPS (HTTP/1.1) on {@code host:port} instead of plain HTTP, when a keystore is
     * configured; nothing otherwise. Javalin adds its plain connector only when none is configured.
     */
    public void serve(final JavalinConfig javalin, final String host, final int port) {
        if (keystore.isEmpty()) {
            return;
        }
        final Store store = keystore.get();
        javalin.jetty.addConnector((server, http) -> {
            final SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(store.path().toString());
            ssl.setKeyStorePassword(store.password());
            ssl.setKeyStoreType(store.type());
            if (clientAuth != ClientAuth.NONE) {
                final Store trusted = truststore.orElseThrow();
                ssl.setTrustStorePath(trusted.path().toString());
                ssl.setTrustStorePassword(trusted.password());
                ssl.setTrustStoreType(trusted.type());
                ssl.setWantClientAuth(clientAuth == ClientAuth.REQUESTED);
                ssl.setNeedClientAuth(clientAuth == ClientAuth.REQUIRED);
            }
            final HttpConfiguration https = new HttpConfiguration(http);
            // SNI host checks would refuse clients that address the service by IP (interactive-query forwarding does).
            https.addCustomizer(new SecureRequestCustomizer(false));
            final HttpConnectionFactory http11 = new HttpConnectionFactory(https);
            final ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, http11.getProtocol()), http11);
            connector.setHost(host);
            connector.setPort(port);
            return connector;
        });
    }

    /**
     * {@code builder} trusting the configured truststore (the JVM's default trust without one) and presenting the
     * keystore's certificate to services that ask for one (mutual TLS).
     */
    public HttpClient.Builder trusting(final HttpClient.Builder builder) {
        if (truststore.isPresent() || keystore.isPresent()) {
            builder.sslContext(sslContext(keystore, truststore));
        }
        return builder;
    }

    /** A client context trusting the certificates in {@code store}. */
    public static SSLContext sslContext(final Store store) {
        return sslContext(Optional.empty(), Optional.of(store));
    }

    /**
     * A client context presenting the certificate in {@code identity} (when given) and trusting {@code trusted} (the
     * JVM's default trust when empty).
     */
    public static SSLContext sslContext(final Optional<Store> identity, final Optional<Store> trusted) {
        try {
            javax.net.ssl.KeyManager[] keys = null;
            if (identity.isPresent()) {
                final javax.net.ssl.KeyManagerFactory factory = javax.net.ssl.KeyManagerFactory.getInstance(
                        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                factory.init(load(identity.get(), "keystore"), identity.get().password().toCharArray());
                keys = factory.getKeyManagers();
            }
            javax.net.ssl.TrustManager[] trust = null;
            if (trusted.isPresent()) {
                final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(load(trusted.get(), "truststore"));
                trust = factory.getTrustManagers();
            }
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
            return context;
        } catch (final GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the TLS stores: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(final Store store, final String what) {
        try (InputStream in = Files.newInputStream(store.path())) {
            final KeyStore loaded = KeyStore.getInstance(store.type());
            loaded.load(in, store.password().toCharArray());
            return loaded;
        } catch (final IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the " + what + " " + store.path() + ": " + e.getMessage(), e);
        }
    }
}
