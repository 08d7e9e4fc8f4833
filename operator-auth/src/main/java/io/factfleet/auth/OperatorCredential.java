package io.factfleet.auth;

import io.factfleet.auth.internal.OwnerOnlyFiles;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.RequestSignatures;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * What a client (the CLI, or a service calling another) sends to authenticate as an operator: the value of the
 * Authorization header for one request.
 * <pre>{@code
 * OperatorCredential me = OperatorCredential.keyFile(Path.of(".factfleet/operator.key"));
 * HttpRequest request = me.sign(HttpRequest.newBuilder(uri), "POST", uri, body).POST(BodyPublishers.ofByteArray(body)).build();
 * }</pre>
 */
public interface OperatorCredential {
    /** The property naming a service's own key file (Ed25519 seed in hex, mode 600) for calls to other services. */
    String CLIENT_KEY_FILE = "factfleet.auth.client.key.file";
    /** The property holding a bearer token a service sends to other services instead of signing. */
    String CLIENT_TOKEN = "factfleet.auth.client.token";

    /**
     * The Authorization header for this request, or empty to send none.
     *
     * @param uri  the request's URI; its raw path and query are what gets signed
     * @param body the request's body (empty for none)
     */
    Optional<String> authorization(String method, URI uri, byte[] body);

    /** Sets the Authorization header (if any) on {@code builder}; the caller still sets the method and body. */
    default HttpRequest.Builder sign(final HttpRequest.Builder builder, final String method, final URI uri, final byte[] body) {
        authorization(method, uri, body).ifPresent(value -> builder.setHeader("Authorization", value));
        return builder;
    }

    /** Sends no credentials. */
    static OperatorCredential none() {
        return (method, uri, body) -> Optional.empty();
    }

    /** Signs each request with an operator's Ed25519 key (scheme {@value RequestSignatures#OPERATOR_SCHEME}). */
    static OperatorCredential ed25519(final Ed25519Keys.SigningKey key) {
        return ed25519(key, System::currentTimeMillis);
    }

    /** As {@link #ed25519(Ed25519Keys.SigningKey)} with a clock (tests of skew). */
    static OperatorCredential ed25519(final Ed25519Keys.SigningKey key, final LongSupplier clock) {
        Objects.requireNonNull(key, "key");
        final SecureRandom random = new SecureRandom();
        return (method, uri, body) -> {
            final byte[] nonce = new byte[16];
            random.nextBytes(nonce);
            final String nonceHex = Hashing.hex(nonce);
            final long ts = clock.getAsLong();
            final String path = pathWithQuery(uri);
            final byte[] signature = key.sign(RequestSignatures.message(RequestSignatures.OPERATOR_CONTEXT, method, path, ts, nonceHex, body));
            return Optional.of(RequestSignatures.OPERATOR_SCHEME + " key=" + key.keyId() + ",ts=" + ts + ",nonce=" + nonceHex
                    + ",sig=" + Hashing.hex(signature));
        };
    }

    /** Sends {@code Authorization: Bearer <token>} (a JWT from the identity provider). */
    static OperatorCredential bearer(final String token) {
        Objects.requireNonNull(token, "token");
        return (method, uri, body) -> Optional.of("Bearer " + token.strip());
    }

    /** Sends HTTP basic auth. */
    static OperatorCredential basic(final String user, final String password) {
        final String encoded = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return (method, uri, body) -> Optional.of("Basic " + encoded);
    }

    /**
     * Signs with the key in {@code file} (its 32-byte seed in hex, as {@code ./factfleet run} writes
     * {@code .factfleet/operator.key}).
     *
     * @throws IllegalArgumentException when the file is missing, readable by others, or not a seed
     */
    static OperatorCredential keyFile(final Path file) {
        return ed25519(readKey(file));
    }

    /** The Ed25519 key whose seed (hex) is in {@code file}, refusing a file readable by others. */
    static Ed25519Keys.SigningKey readKey(final Path file) {
        final String text;
        try {
            text = OwnerOnlyFiles.read(file, "the key file");
        } catch (final IOException e) {
            throw new IllegalArgumentException("cannot read the key file: " + e.getMessage(), e);
        }
        try {
            return Ed25519Keys.fromSeed(Hashing.unhex(text.strip()));
        } catch (final RuntimeException e) {
            throw new IllegalArgumentException(file + " does not hold an Ed25519 seed (64 hex digits)", e);
        }
    }

    /**
     * A service's credential for calling other services: {@value #CLIENT_KEY_FILE} or {@value #CLIENT_TOKEN} among its
     * properties, else {@link #none()}.
     */
    static OperatorCredential fromProperties(final Map<?, ?> properties) {
        final Object keyFile = properties.get(CLIENT_KEY_FILE);
        final Object token = properties.get(CLIENT_TOKEN);
        if (keyFile != null && !keyFile.toString().isBlank()) {
            return keyFile(Path.of(keyFile.toString().strip()));
        }
        if (token != null && !token.toString().isBlank()) {
            return bearer(token.toString());
        }
        return none();
    }

    /** The raw path and query that {@link #ed25519} signs and services verify. */
    static String pathWithQuery(final URI uri) {
        final String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null || uri.getRawQuery().isEmpty() ? path : path + "?" + uri.getRawQuery();
    }
}
