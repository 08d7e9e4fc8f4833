package io.factfleet.auth;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * One operator (a person or a service) in the operators file, with the ways it may authenticate and its grants:
 * <pre>{@code
 * {"id": "alice", "ed25519": ["<public key hex>"], "jwtSubject": "alice@example.com",
 *  "tlsSubject": "CN=alice,O=Example", "basic": {"user": "alice", "bcrypt": "$2y$10$..."}, "grants": {"sim-0": ["operator"], "*": ["viewer"]}}
 * }</pre>
 *
 * @param id         the name logs and refusals show
 * @param ed25519    public keys (64 hex digits) whose signed requests are this operator's
 * @param jwtSubject the {@code sub} of bearer tokens that are this operator's (its grants add to the token's roles)
 * @param tlsSubject the subject (RFC 2253 distinguished name) of client certificates that are this operator's, when
 *                   the services ask for certificates ({@code factfleet.http.tls.client.auth}) and the certificate
 *                   chains to their truststore
 * @param basic      an HTTP basic login (for Confluent-style registry clients and browsers), or null
 * @param grants     role labels ({@link Role#label()}) per authority id or {@code *}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = false)
public record OperatorEntry(String id, List<String> ed25519, String jwtSubject, String tlsSubject, BasicLogin basic, Map<String, List<String>> grants) {

    /**
     * An HTTP basic login.
     *
     * @param user   the user name
     * @param bcrypt the password's bcrypt hash ({@code $2a$}, {@code $2b$} or {@code $2y$}); never the password
     */
    public record BasicLogin(String user, String bcrypt) {
    }

    public OperatorEntry {
        ed25519 = ed25519 == null ? List.of() : List.copyOf(ed25519);
        grants = grants == null ? Map.of() : Map.copyOf(grants);
    }

    /** An operator identified by Ed25519 public keys. */
    public static OperatorEntry ed25519(final String id, final List<String> publicKeysHex, final Map<String, List<String>> grants) {
        return new OperatorEntry(id, publicKeysHex, null, null, null, grants);
    }
}
