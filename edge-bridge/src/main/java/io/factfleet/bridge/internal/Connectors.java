package io.factfleet.bridge.internal;

import io.factfleet.bridge.BridgeConfig;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** The bridge's Jetty connectors: plain HTTP/1.1 with h2c, and TLS with ALPN choosing h2 or HTTP/1.1. */
public final class Connectors {
    private Connectors() {
    }

    /** HTTP/1.1 and cleartext HTTP/2 (prior knowledge or {@code Upgrade: h2c}) on one port. */
    public static ServerConnector plain(final Server server, final HttpConfiguration http, final BridgeConfig config) {
        final ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http), new HTTP2CServerConnectionFactory(http));
        connector.setHost(config.httpBindHost());
        connector.setPort(config.httpPort());
        return connector;
    }

    /** TLS with the configured keystore; ALPN offers h2, then HTTP/1.1 for clients without ALPN. */
    public static ServerConnector tls(final Server server, final HttpConfiguration http, final BridgeConfig config) {
        final SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStorePath(config.tlsKeystorePath().orElseThrow());
        ssl.setKeyStorePassword(config.tlsKeystorePassword().orElseThrow());
        ssl.setKeyStoreType(config.tlsKeystoreType());
        ssl.setCipherComparator(HTTP2Cipher.COMPARATOR);
        final HttpConfiguration https = new HttpConfiguration(http);
        https.addCustomizer(new SecureRequestCustomizer());
        final HttpConnectionFactory http11 = new HttpConnectionFactory(https);
        final HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(https);
        final ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
        alpn.setDefaultProtocol(http11.getProtocol());
        final ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, h2, http11);
        connector.setHost(config.httpBindHost());
        connector.setPort(config.tlsPort());
        return connector;
    }
}
