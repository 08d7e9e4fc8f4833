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
 * </table>
 *
 * @param keystore   the server's certificate and key, if it serves TLS
 * @param truststore what its clients trust, if not the JVM's default
 */
public record HttpTls(Optional<Store> keystore, Optional<Store> truststore) {
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
        return new HttpTls(Optional.empty(), Optional.empty());
    }

    /**
     * The settings among a service's properties.
     *
     * @throws IllegalArgumentException when a store is named without its password
     */
    public static HttpTls from(final Map<?, ?> properties) {
        return new HttpTls(store(properties, KEYSTORE_PATH, KEYSTORE_PASSWORD, KEYSTORE_TYPE),
                store(properties, TRUSTSTORE_PATH, TRUSTSTORE_PASSWORD, TRUSTSTORE_TYPE));
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

    /** {@code builder} trusting the configured truststore (the JVM's default trust without one). */
    public HttpClient.Builder trusting(final HttpClient.Builder builder) {
        truststore.ifPresent(store -> builder.sslContext(sslContext(store)));
        return builder;
    }

    /** A client context trusting the certificates in {@code store}. */
    public static SSLContext sslContext(final Store store) {
        try (InputStream in = Files.newInputStream(store.path())) {
            final KeyStore trusted = KeyStore.getInstance(store.type());
            trusted.load(in, store.password().toCharArray());
            final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (final IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the truststore " + store.path() + ": " + e.getMessage(), e);
        }
    }
}
