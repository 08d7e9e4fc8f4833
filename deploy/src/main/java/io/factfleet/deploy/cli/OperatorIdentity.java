package io.factfleet.deploy.cli;

import io.factfleet.auth.OperatorCredential;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Who an operator command acts as (a picocli mixin): by default the local operator, signing with
 * {@value #DEFAULT_KEY} as {@code ./factfleet run} created it, so the local user needs no extra step; {@code --key}
 * another operator's key file, {@code --token} (or {@value #TOKEN_ENV}) a bearer token from an identity provider,
 * {@code --cert} a TLS client certificate (mutual TLS, for services that ask for one).
 */
public final class OperatorIdentity {
    /** The local operator's key, as {@code ./factfleet run} (default data directory) creates it. */
    public static final String DEFAULT_KEY = "./.factfleet/operator.key";
    /** The environment variable holding a bearer token, so that it need not appear in the process list. */
    public static final String TOKEN_ENV = "FACTFLEET_TOKEN";
    /** The environment variable holding the {@code --cert} keystore's password. */
    public static final String CERT_PASSWORD_ENV = "FACTFLEET_CERT_PASSWORD";

    @Option(names = "--key", paramLabel = "FILE",
            description = "Sign requests with this operator key file (an Ed25519 seed in hex, mode 600) (default: " + DEFAULT_KEY + ").")
    Path key;

    @Option(names = "--token", paramLabel = "JWT",
            description = "Send this bearer token from your identity provider instead of signing (or set " + TOKEN_ENV + ").")
    String token;

    @Option(names = "--cert", paramLabel = "FILE",
            description = "Present this TLS client certificate (a PKCS12 keystore with your certificate and key; its password in "
                    + CERT_PASSWORD_ENV + "). With no --key or --token, the certificate alone authenticates you to services that ask for one.")
    Path cert;

    private java.net.http.HttpClient http;

    /**
     * The credential the options name; with none given, the local operator's key when it exists, else none (the
     * service then answers 401 and says what it accepts).
     *
     * @throws OperatorHttp.CommandFailure when the key file cannot be used
     */
    OperatorCredential credential() throws OperatorHttp.CommandFailure {
        final String bearer = token != null ? token : System.getenv(TOKEN_ENV);
        if (bearer != null && !bearer.isBlank()) {
            return OperatorCredential.bearer(bearer);
        }
        final Path file = key != null ? key : Path.of(DEFAULT_KEY);
        if (key == null && (cert != null || !Files.exists(file))) {
            return OperatorCredential.none();
        }
        try {
            return OperatorCredential.keyFile(file);
        } catch (final IllegalArgumentException e) {
            throw new OperatorHttp.CommandFailure(ExitCodes.USAGE, e.getMessage());
        }
    }

    /**
     * The HTTP client the commands send with: the JVM's trust ({@code javax.net.ssl.trustStore}) and, with
     * {@code --cert}, the client certificate.
     *
     * @throws OperatorHttp.CommandFailure when the certificate's keystore cannot be used
     */
    java.net.http.HttpClient http() throws OperatorHttp.CommandFailure {
        if (http == null) {
            final java.net.http.HttpClient.Builder builder = java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5));
            if (cert != null) {
                final String password = System.getenv(CERT_PASSWORD_ENV);
                try {
                    builder.sslContext(io.factfleet.auth.HttpTls.sslContext(java.util.Optional.of(new io.factfleet.auth.HttpTls.Store(cert,
                            password == null ? "" : password, io.factfleet.auth.HttpTls.DEFAULT_TYPE)), java.util.Optional.empty()));
                } catch (final IllegalArgumentException e) {
                    throw new OperatorHttp.CommandFailure(ExitCodes.USAGE, "--cert " + cert + ": " + e.getMessage()
                            + (password == null ? " (set " + CERT_PASSWORD_ENV + " to the keystore's password)" : ""));
                }
            }
            http = builder.build();
        }
        return http;
    }

    /** {@code builder} with the Authorization header for this request. */
    HttpRequest.Builder sign(final HttpRequest.Builder builder, final String method, final URI uri, final String body) throws OperatorHttp.CommandFailure {
        return credential().sign(builder, method, uri, body == null ? new byte[0] : body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
