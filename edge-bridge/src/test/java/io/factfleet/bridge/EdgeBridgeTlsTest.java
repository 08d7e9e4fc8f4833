package io.factfleet.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a keystore configured, the bridge also serves TLS, negotiating HTTP/2 by ALPN. */
class EdgeBridgeTlsTest {
    private static final String PASSWORD = "bridge-test";

    @TempDir
    Path dir;

    @Test
    void tlsServesHttp2NegotiatedByAlpnAndHttp11ToClientsThatAskForIt() throws Exception {
        final Path keystore = selfSignedKeystore(dir.resolve("bridge.p12"));
        final EdgeBridgeService bridge = new EdgeBridgeService(BridgeConfig.of(Map.of(BridgeConfig.HTTP_PORT, 0, BridgeConfig.HTTP_BIND_HOST, "127.0.0.1",
                BridgeConfig.TLS_PORT, 0, BridgeConfig.TLS_KEYSTORE_PATH, keystore.toString(), BridgeConfig.TLS_KEYSTORE_PASSWORD, PASSWORD,
                "bootstrap.servers", "127.0.0.1:9")), new InMemorySchemaRegistryClient()).start();
        try {
            final SSLContext trusting = trusting(keystore);
            final URI health = URI.create("https://localhost:" + bridge.tlsPort() + "/health");

            final HttpResponse<String> h2 = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_2).build()
                    .send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString());
            final HttpResponse<String> h1 = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_1_1).build()
                    .send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(h2.statusCode()).isEqualTo(200);
            assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(h2.body()).contains("RUNNING");
            assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(bridge.tlsPort()).isNotEqualTo(bridge.port());
        } finally {
            bridge.stop();
        }
    }

    private static Path selfSignedKeystore(final Path path) throws Exception {
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        final Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "bridge", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", path.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(Files.exists(path)).isTrue();
        return path;
    }

    private static SSLContext trusting(final Path keystore) throws Exception {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
