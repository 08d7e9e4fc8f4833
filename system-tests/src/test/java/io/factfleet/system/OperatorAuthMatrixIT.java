package io.factfleet.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.factfleet.auth.AccessRule;
import io.factfleet.auth.OperatorAuth;
import io.factfleet.auth.OperatorAuthConfig;
import io.factfleet.auth.OperatorCredential;
import io.factfleet.auth.OperatorEntry;
import io.factfleet.auth.Role;
import io.factfleet.console.ConsoleConfig;
import io.factfleet.console.ConsoleService;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ota.OtaConfig;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.registry.SchemaRegistryConfig;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import io.factfleet.testkit.TestOperators;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's test matrix: every route of every operator-facing service (the registry, fact-ingest's metrics, the
 * reducer, the snapshot and OTA coordinators, the console), taken from the running services' own route tables, is
 * called with no credentials, a bad signature, a bad token, an expired token, a replayed request, a role without the
 * permission and an operator of another authority. Each must answer 401 or 403 with a JSON code and message, and
 * afterwards nothing has changed: no record on any FactFleet topic or the registry's, the same state, no proposal, no
 * upgrade, no registry change. A route without an access rule fails the test.
 */
class OperatorAuthMatrixIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String A = "matrix-a";
    private static final String B = "matrix-b";
    private static final String ISSUER = "https://idp.matrix.test/";
    private static final String AUDIENCE = "factfleet-matrix";
    private static final Ed25519Keys.SigningKey OPERATOR_ROOT = Ed25519Keys.generate();
    private static final AuthorityGenesis FLEET_A = AuthorityGenesis.generate(A, 3, 2);
    private static final AuthorityGenesis FLEET_B = AuthorityGenesis.generate(B, 3, 2);
    /** viewer on A only: lacks every permission beyond reading, and has no role anywhere else. */
    private static final Ed25519Keys.SigningKey VIEWER_OF_A = Ed25519Keys.generate();
    /** viewer on every authority: lacks every permission beyond reading on global resources too. */
    private static final Ed25519Keys.SigningKey VIEWER_OF_ALL = Ed25519Keys.generate();
    /** admin of B only: an operator of another authority for everything about A, and no role on '*'. */
    private static final Ed25519Keys.SigningKey ADMIN_OF_B = Ed25519Keys.generate();

    @TempDir
    static Path dir;
    private static InProcessSpine spine;
    private static SnapshotCoordinatorService snapshots;
    private static OtaCoordinatorService ota;
    private static ConsoleService console;
    private static RSAKey idp;
    private static RSAKey forger;

    /** A service under test: its routes (from its own route table) and where it listens. */
    private record Service(String name, URI base, OperatorAuth auth) {
    }

    @BeforeAll
    static void startEveryService() throws Exception {
        idp = new RSAKeyGenerator(2048).keyID("matrix-idp").generate();
        forger = new RSAKeyGenerator(2048).keyID("matrix-idp").generate();
        final Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(idp.toPublicJWK()).toString());
        final TestOperators operators = TestOperators.create(dir.resolve("operators"))
                .with(OperatorEntry.ed25519("viewer-of-a", List.of(Hashing.hex(VIEWER_OF_A.publicKey())), Map.of(A, List.of("viewer"))))
                .with(OperatorEntry.ed25519("viewer-of-all", List.of(Hashing.hex(VIEWER_OF_ALL.publicKey())), Map.of("*", List.of("viewer"))))
                .with(OperatorEntry.ed25519("admin-of-b", List.of(Hashing.hex(ADMIN_OF_B.publicKey())), Map.of(B, List.of("admin"))))
                .withServiceProperty(OperatorAuthConfig.JWKS_FILE, jwks.toString())
                .withServiceProperty(OperatorAuthConfig.JWT_ISSUER, ISSUER)
                .withServiceProperty(OperatorAuthConfig.JWT_AUDIENCE, AUDIENCE);
        spine = InProcessSpine.start(KAFKA, dir, OPERATOR_ROOT, 1, 2, 1, operators);
        spine.publish(FLEET_A.genesisFact(OPERATOR_ROOT));
        spine.publish(FLEET_B.genesisFact(OPERATOR_ROOT));

        final Properties snapshotProps = operators.serviceProps();
        snapshotProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        snapshotProps.put("schema.registry.url", spine.registryUrl);
        snapshotProps.put("state.dir", dir.resolve("snapshot").toString());
        snapshotProps.put(SnapshotConfig.HTTP_PORT, "0");
        snapshotProps.put(SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1");
        snapshotProps.put(SnapshotConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR_ROOT.publicKey()));
        // The coordinators hold A's admin key: an authorized request would act, so a refused one must not.
        final AdminKeyRing ring = AdminKeyRing.of(Map.of(A, FLEET_A.adminKey()));
        snapshots = new SnapshotCoordinatorService(SnapshotConfig.of(snapshotProps, ring)).start();

        final Path keyRing = dir.resolve("admin-keys.properties");
        AdminKeyRing.write(keyRing, ring);
        final Properties otaProps = operators.serviceProps();
        otaProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        otaProps.put("schema.registry.url", spine.registryUrl);
        otaProps.put("state.dir", dir.resolve("ota").toString());
        otaProps.put(OtaConfig.HTTP_PORT_CONFIG, "0");
        otaProps.put(OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        otaProps.put(OtaConfig.ADMIN_KEYS_CONFIG, keyRing.toString());
        ota = new OtaCoordinatorService(OtaConfig.of(otaProps)).start();

        final Properties consoleProps = operators.bridgeProps(); // the console reads the others with a viewer key of its own
        consoleProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        consoleProps.put(ConsoleConfig.HTTP_PORT, "0");
        consoleProps.put(ConsoleConfig.HTTP_BIND_HOST, "127.0.0.1");
        consoleProps.put(ConsoleConfig.REDUCER_URL, spine.reducer(0).httpUri().toString());
        consoleProps.put(ConsoleConfig.SNAPSHOT_URL, snapshots.httpUri().toString());
        consoleProps.put(ConsoleConfig.OTA_URL, "http://127.0.0.1:" + ota.port());
        console = new ConsoleService(ConsoleConfig.of(consoleProps)).start();

        Await.until("the coordinators are RUNNING", Duration.ofSeconds(90), () -> snapshots.streamsState() == KafkaStreams.State.RUNNING
                && ota.streamsState() == KafkaStreams.State.RUNNING);
        for (final String authority : List.of(A, B)) {
            Await.until(authority + " is known to the reducer and both coordinators", Duration.ofSeconds(60),
                    () -> status(adminGet(URI.create(spine.reducer(0).httpUri() + "/authorities/" + authority + "/state"))) == 200
                            && status(adminGet(URI.create(snapshots.httpUri() + "/authorities/" + authority + "/snapshots/status"))) == 200
                            && status(adminGet(URI.create("http://127.0.0.1:" + ota.port() + "/authorities/" + authority + "/upgrades"))) == 200);
        }
    }

    @AfterAll
    static void stopEveryService() {
        io.factfleet.testkit.Closeables.closeAll(console, ota, snapshots, spine);
    }

    private static List<Service> services() {
        return List.of(
                new Service("schema registry", URI.create(spine.registryUrl), spine.registry.auth()),
                new Service("fact-ingest", URI.create("http://127.0.0.1:" + spine.ingest.httpPort().orElseThrow()), spine.ingest.auth().orElseThrow()),
                new Service("reducer", spine.reducer(0).httpUri(), spine.reducer(0).auth()),
                new Service("snapshot coordinator", snapshots.httpUri(), snapshots.auth()),
                new Service("OTA coordinator", URI.create("http://127.0.0.1:" + ota.port()), ota.auth()),
                new Service("console", console.uri(), console.auth()));
    }

    /** One way to call a route (the Authorization header for a method and URI), and what it must answer. */
    private record Attempt(String name, int status, String code, BiFunction<String, URI, Map<String, String>> headers) {
    }

    @Test
    void everyRouteOfEveryServiceDeclaresARuleAndRefusesEveryBadCallerWithoutChangingAnything() throws Exception {
        final Observed before = observe();
        final List<String> checked = new ArrayList<>();
        for (final Service service : services()) {
            assertThat(service.auth().routes()).as(service.name() + " registered routes").isNotEmpty();
            for (final OperatorAuth.Route route : service.auth().routes()) {
                final String where = service.name() + " " + route.method() + " " + route.path();
                assertThat(route.rule()).as(where + " declares no access rule: add one where the route is added").isPresent();
                final AccessRule rule = route.rule().orElseThrow();
                final URI uri = service.base().resolve(instantiate(route.path()));
                if (rule instanceof AccessRule.Open) {
                    assertThat(send(route.method(), uri, Map.of()).statusCode()).as(where + " is open").isNotIn(401, 403);
                    continue;
                }
                for (final Attempt attempt : attempts(rule)) {
                    final HttpResponse<String> r = send(route.method(), uri, attempt.headers().apply(route.method(), uri));
                    assertThat(r.statusCode()).as(where + " with " + attempt.name() + ": " + r.body()).isEqualTo(attempt.status());
                    final JsonNode body = JSON.readTree(r.body());
                    assertThat(body.path("code").asText()).as(where + " with " + attempt.name()).isEqualTo(attempt.code());
                    assertThat(body.path("message").asText()).as(where + " with " + attempt.name() + ": a message").isNotBlank();
                }
                if (route.method().equals("GET")) {
                    // The instantiated path is a real one: the admin gets past the guard (whatever the handler answers).
                    assertThat(status(adminGet(uri))).as(where + " as admin").isNotIn(401, 403);
                }
                checked.add(where);
            }
        }
        assertThat(checked).as("endpoints checked").hasSizeGreaterThan(40);
        assertThat(observe()).as("nothing changed after " + checked.size() + " endpoints were refused").isEqualTo(before);
    }

    @Test
    void aRouteWithoutARuleIsListedWithoutOneAndRefused() throws Exception {
        // What the matrix above relies on to fail for a new endpoint: a rule-less route is visible and closed.
        final OperatorAuth auth = OperatorAuth.create(OperatorAuthConfig.from(Map.of(OperatorAuthConfig.ENABLED, "false")),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        final io.javalin.Javalin app = io.javalin.Javalin.create(c -> {
            c.showJavalinBanner = false;
            auth.configure(c);
        });
        app.get("/new-endpoint", ctx -> ctx.result("open by mistake"));
        app.start("127.0.0.1", 0);
        try {
            assertThat(auth.routes()).singleElement().satisfies(r -> assertThat(r.rule()).isEmpty());
            final HttpResponse<String> r = send("GET", URI.create("http://127.0.0.1:" + app.port() + "/new-endpoint"), Map.of());
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(JSON.readTree(r.body()).path("code").asText()).isEqualTo("NO_ACCESS_RULE");
        } finally {
            app.stop();
        }
    }

    private static List<Attempt> attempts(final AccessRule rule) {
        final List<Attempt> attempts = new ArrayList<>();
        attempts.add(new Attempt("no credentials", 401, "UNAUTHENTICATED", (method, uri) -> Map.of()));
        attempts.add(new Attempt("a bad signature", 401, "BAD_SIGNATURE", (method, uri) -> {
            final String good = signed(TestOperators.ADMIN, method, uri).get("Authorization");
            return Map.of("Authorization", good.substring(0, good.length() - 4) + (good.endsWith("0000") ? "1111" : "0000"));
        }));
        attempts.add(new Attempt("a token signed by another key", 401, "BAD_TOKEN", (method, uri) -> bearer(forgedToken())));
        attempts.add(new Attempt("an expired token", 401, "TOKEN_EXPIRED",
                (method, uri) -> bearer(jwt(idp, Instant.now().minusSeconds(3600), List.of("admin@*")))));
        // The same signed request twice: the first use passes authentication (its roles decide the rest; the viewer of A
        // may read A), the second is a replay.
        attempts.add(new Attempt("a replayed request", 401, "REPLAYED_REQUEST", (method, uri) -> {
            final Map<String, String> once = signed(VIEWER_OF_A, method, uri);
            try {
                assertThat(send(method, uri, once).statusCode()).as("first use of the replayed request").isNotEqualTo(401);
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
            return once;
        }));
        if (!Role.VIEWER.allows(permissionOf(rule))) {
            // Every role reads; only permissions beyond reading can be lacked by a role.
            final Ed25519Keys.SigningKey viewer = rule instanceof AccessRule.PerAuthority ? VIEWER_OF_A : VIEWER_OF_ALL;
            attempts.add(new Attempt("a role without the permission", 403, "PERMISSION_DENIED", (method, uri) -> signed(viewer, method, uri)));
        }
        attempts.add(new Attempt("an operator of another authority", 403, "OTHER_AUTHORITY", (method, uri) -> signed(ADMIN_OF_B, method, uri)));
        return attempts;
    }

    private static io.factfleet.auth.Permission permissionOf(final AccessRule rule) {
        if (rule instanceof AccessRule.PerAuthority per) {
            return per.permission();
        }
        if (rule instanceof AccessRule.Global global) {
            return global.permission();
        }
        return io.factfleet.auth.Permission.METRICS_READ;
    }

    private static Map<String, String> signed(final Ed25519Keys.SigningKey key, final String method, final URI uri) {
        return Map.of("Authorization", OperatorCredential.ed25519(key).authorization(method, uri, body(method)).orElseThrow());
    }

    private static Map<String, String> bearer(final String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    /** A well-formed, unexpired admin token with the identity provider's key id, signed by another key. */
    private static String forgedToken() {
        return jwt(forger, Instant.now().plusSeconds(600), List.of("admin@*"));
    }

    private static String jwt(final RSAKey key, final Instant expiry, final List<String> roles) {
        try {
            final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                    new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject("mallory").expirationTime(Date.from(expiry))
                            .claim(OperatorAuthConfig.DEFAULT_ROLES_CLAIM, roles).build());
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");

    /** A concrete path for a route template: authority A, and a plausible value for every other parameter. */
    private static String instantiate(final String template) {
        final Matcher m = PARAM.matcher(template);
        final StringBuilder out = new StringBuilder();
        while (m.find()) {
            final String value = switch (m.group(1)) {
                case "id" -> A;
                case "factId" -> "00".repeat(32);
                case "subject" -> FactFleetTopics.INBOUND.name() + "-value";
                case "version" -> "1";
                default -> m.group(1) + "-1";
            };
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static byte[] body(final String method) {
        return method.equals("GET") ? new byte[0] : "{}".getBytes(StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> send(final String method, final URI uri, final Map<String, String> headers) throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        headers.forEach(b::header);
        final byte[] body = body(method);
        b.method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> adminGet(final URI uri) throws Exception {
        return HTTP.send(TestOperators.get(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int status(final HttpResponse<String> r) {
        return r.statusCode();
    }

    /** What an authorized request could have changed, read as the admin. */
    private record Observed(Map<TopicPartition, Long> endOffsets, String stateA, String stateB, String snapshotStatusA, String upgradesA,
                            String subjects, String compatibility) {
    }

    private static Observed observe() throws Exception {
        final List<String> topics = new ArrayList<>(FactFleetTopics.all().stream().map(t -> t.name()).collect(Collectors.toList()));
        topics.add(SchemaRegistryConfig.DEFAULT_TOPIC);
        final Map<TopicPartition, Long> ends = new LinkedHashMap<>();
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            final Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
            admin.describeTopics(topics).allTopicNames().get().forEach((name, d) -> d.partitions()
                    .forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
            admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
        }
        final URI reducer = spine.reducer(0).httpUri();
        return new Observed(ends,
                digest(adminGet(URI.create(reducer + "/authorities/" + A + "/state"))),
                digest(adminGet(URI.create(reducer + "/authorities/" + B + "/state"))),
                withoutClock(adminGet(URI.create(snapshots.httpUri() + "/authorities/" + A + "/snapshots/status")).body()),
                adminGet(URI.create("http://127.0.0.1:" + ota.port() + "/authorities/" + A + "/upgrades")).body(),
                adminGet(URI.create(spine.registryUrl + "/subjects")).body(),
                adminGet(URI.create(spine.registryUrl + "/config")).body());
    }

    private static String digest(final HttpResponse<String> state) throws Exception {
        return JSON.readTree(state.body()).path("digest").asText();
    }

    private static String withoutClock(final String status) throws Exception {
        return JSON.readTree(status).path("openProposal").toString() + JSON.readTree(status).path("snapshotsCompleted");
    }
}
