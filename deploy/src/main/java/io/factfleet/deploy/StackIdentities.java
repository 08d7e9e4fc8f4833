package io.factfleet.deploy;

import io.factfleet.auth.Grants;
import io.factfleet.auth.OperatorCredential;
import io.factfleet.auth.OperatorEntry;
import io.factfleet.auth.OperatorsFile;
import io.factfleet.auth.Role;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.deploy.internal.SecretFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who may call the local stack's services, kept in the data directory:
 * <ul>
 * <li>{@code operators.json} (mode 600): created on first start with the local operator ({@code operator.key}'s
 *     public key, and a basic login {@value #LOCAL_OPERATOR} whose password is in {@code operator.password}) as
 *     {@code admin} on {@code *}, and one entry per service; add people to it (README, Security); the services re-read
 *     it when it changes. Service entries that are missing are added back on each start.</li>
 * <li>{@code keys/<service>.key}: the console's and the bridge's Ed25519 keys, which sign their calls to the reducer
 *     and the coordinators ({@code viewer} on {@code *});</li>
 * <li>{@code keys/<service>.registry-password}: each service's basic login to the schema registry (Confluent's
 *     {@code basic.auth.user.info}; role {@code service}: read and register schemas).</li>
 * </ul>
 */
public final class StackIdentities {
    /** The local operator's id and basic-login user name. */
    public static final String LOCAL_OPERATOR = "local-operator";
    /** Services that call the registry, each with its own basic login. */
    static final List<String> REGISTRY_CLIENTS = List.of("ingest", "reducer", "snapshot-coordinator", "ota-coordinator", "edge-bridge");
    /** Services that call the reducer or the coordinators, each with its own key. */
    static final List<String> KEYED_SERVICES = List.of("console", "edge-bridge");

    private final DataDirectory dir;
    private final String operatorPassword;
    private final Map<String, String> registryPasswords;

    private StackIdentities(final DataDirectory dir, final String operatorPassword, final Map<String, String> registryPasswords) {
        this.dir = dir;
        this.operatorPassword = operatorPassword;
        this.registryPasswords = registryPasswords;
    }

    /** Reads the stack's identities, creating what is missing (the operators file on first start). */
    public static StackIdentities loadOrCreate(final DataDirectory dir, final Ed25519Keys.SigningKey operatorKey) {
        try {
            final Path operators = dir.operatorsFile();
            final Set<String> listed = new HashSet<>();
            if (Files.exists(operators)) {
                OperatorsFile.read(operators).forEach(e -> listed.add(e.id()));
            }
            final boolean first = !Files.exists(operators);
            final String operatorPassword = secret(dir.operatorPassword());
            if (first) {
                OperatorsFile.put(operators, new OperatorEntry(LOCAL_OPERATOR, List.of(Hashing.hex(operatorKey.publicKey())), null, null,
                        new OperatorEntry.BasicLogin(LOCAL_OPERATOR, OperatorsFile.bcrypt(operatorPassword.toCharArray())),
                        grants(Grants.EVERY_AUTHORITY, Role.ADMIN)));
            }
            for (final String service : KEYED_SERVICES) {
                final Ed25519Keys.SigningKey key = OperatorKey.loadOrCreate(keyFile(dir, service));
                final String id = "svc-" + service;
                if (!listed.contains(id)) {
                    OperatorsFile.put(operators, OperatorEntry.ed25519(id, List.of(Hashing.hex(key.publicKey())),
                            grants(Grants.EVERY_AUTHORITY, Role.VIEWER)));
                }
            }
            final Map<String, String> passwords = new LinkedHashMap<>();
            for (final String service : REGISTRY_CLIENTS) {
                final String password = secret(dir.serviceKeys().resolve(service + ".registry-password"));
                passwords.put(service, password);
                final String id = "svc-" + service + "-registry";
                if (!listed.contains(id)) {
                    OperatorsFile.put(operators, new OperatorEntry(id, List.of(), null, null,
                            new OperatorEntry.BasicLogin(id, OperatorsFile.bcrypt(password.toCharArray())), grants(Grants.EVERY_AUTHORITY, Role.SERVICE)));
                }
            }
            return new StackIdentities(dir, operatorPassword, Map.copyOf(passwords));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read or create the stack's operators file " + dir.operatorsFile() + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, List<String>> grants(final String authority, final Role role) {
        return Map.of(authority, List.of(role.label()));
    }

    private static Path keyFile(final DataDirectory dir, final String service) {
        return dir.serviceKeys().resolve(service + ".key");
    }

    /** A random secret kept in {@code file} (mode 600), created on first use. */
    private static String secret(final Path file) throws IOException {
        if (Files.exists(file)) {
            if (SecretFiles.isExposed(file)) {
                throw new IOException(file + " holds a password and can be read by other users; run: chmod 600 " + file);
            }
            return readSecret(file);
        }
        final byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        final String secret = Hashing.hex(bytes);
        SecretFiles.createOwnerOnly(file, secret + "\n");
        return secret;
    }

    /** The operators file the services follow. */
    public Path operatorsFile() {
        return dir.operatorsFile();
    }

    /** The local operator's credential (requests signed with {@code operator.key}). */
    public OperatorCredential localOperator(final Ed25519Keys.SigningKey operatorKey) {
        return OperatorCredential.ed25519(operatorKey);
    }

    /** The local operator's basic login (browsers, curl). */
    public OperatorCredential localOperatorLogin() {
        return OperatorCredential.basic(LOCAL_OPERATOR, operatorPassword);
    }

    /** {@code user:password} of the local operator's basic login (the stack's own tools use it for the registry). */
    String localOperatorUserInfo() {
        return LOCAL_OPERATOR + ":" + operatorPassword;
    }

    /** The key file a service signs its calls with. */
    public Path serviceKey(final String service) {
        return keyFile(dir, service);
    }

    /** {@code user:password} of a service's registry login. */
    public String registryUserInfo(final String service) {
        return "svc-" + service + "-registry:" + registryPasswords.get(service);
    }

    static String readSecret(final Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8).strip();
    }
}
