package io.factfleet.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.RequestSignatures;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Javalin integration end to end: a real server, real keys, a real JWKS, real HTTP. */
class OperatorAuthTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ISSUER = "https://idp.example.com/";
    private static final String AUDIENCE = "factfleet";

    @TempDir
    static Path dir;
    private static final Ed25519Keys.SigningKey ADMIN = Ed25519Keys.generate();
    private static final Ed25519Keys.SigningKey VIEWER_OF_A = Ed25519Keys.generate();
    private static final Ed25519Keys.SigningKey STRANGER = Ed25519Keys.generate();
    private static RSAKey idpKey;
    private static RSAKey otherKey;
    private static Javalin app;
    private static OperatorAuth auth;
    private static PrometheusMeterRegistry meters;
    private static URI base;

    @BeforeAll
    static void start() throws Exception {
        idpKey = new RSAKeyGenerator(2048).keyID("idp-1").generate();
        otherKey = new RSAKeyGenerator(2048).keyID("idp-1").generate();
        final Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(idpKey.toPublicJWK()).toString());
        final Path operators = dir.resolve("operators.json");
        OperatorsFile.write(operators, List.of(
                OperatorEntry.ed25519("root", List.of(Hashing.hex(ADMIN.publicKey())), Map.of("*", List.of("admin"))),
                OperatorEntry.ed25519("viewer-a", List.of(Hashing.hex(VIEWER_OF_A.publicKey())), Map.of("a", List.of("viewer"))),
                new OperatorEntry("carol", List.of(), "carol@example.com", null, null, Map.of("b", List.of("operator"))),
                new OperatorEntry("registry-client", List.of(), null, null,
                        new OperatorEntry.BasicLogin("svc", OperatorsFile.bcrypt("s3cret".toCharArray())), Map.of("*", List.of("service")))));
        final Properties p = new Properties();
        p.setProperty(OperatorAuthConfig.OPERATORS_FILE, operators.toString());
        p.setProperty(OperatorAuthConfig.JWKS_FILE, jwks.toString());
        p.setProperty(OperatorAuthConfig.JWT_ISSUER, ISSUER);
        p.setProperty(OperatorAuthConfig.JWT_AUDIENCE, AUDIENCE);
        meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        auth = OperatorAuth.fromProperties(p, meters);
        app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            auth.configure(c);
        });
        app.get("/health", ctx -> ctx.result("up"), AccessRule.open());
        app.get("/metrics", ctx -> ctx.result(meters.scrape()), AccessRule.metrics());
        app.get("/authorities/{id}/state", ctx -> ctx.result("state of " + ctx.pathParam("id") + " for "
                + OperatorAuth.caller(ctx).map(Caller::id).orElse("?")), AccessRule.authority(Permission.STATE_READ));
        app.post("/authorities/{id}/snapshots", ctx -> ctx.status(202).result("proposed"), AccessRule.authority(Permission.SNAPSHOT_PROPOSE));
        app.put("/config", ctx -> ctx.result("changed"), AccessRule.global(Permission.REGISTRY_CONFIG));
        app.get("/subjects", ctx -> ctx.result("[]"), AccessRule.global(Permission.SCHEMA_READ));
        app.get("/forgotten", ctx -> ctx.result("secret"));
        app.start("127.0.0.1", 0);
        base = URI.create("http://127.0.0.1:" + app.port());
    }

    @AfterAll
    static void stop() {
        app.stop();
    }

    private static HttpResponse<String> send(final String method, final String path, final String body, final OperatorCredential credential)
            throws Exception {
        final URI uri = base.resolve(path);
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        final HttpRequest.Builder b = credential.sign(HttpRequest.newBuilder(uri), method, uri, bytes)
                .method(method, bytes.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> withHeader(final String method, final String path, final String authorization) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).header("Authorization", authorization)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String code(final HttpResponse<String> r) throws Exception {
        final JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("message").asText()).isNotBlank();
        return body.path("code").asText();
    }

    private static String token(final RSAKey key, final String subject, final Instant expiry, final String audience, final List<String> roles)
            throws Exception {
        final JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).subject(subject).audience(audience)
                .expirationTime(Date.from(expiry)).issueTime(new Date()).claim(OperatorAuthConfig.DEFAULT_ROLES_CLAIM, roles).build();
        final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    @Test
    void healthIsOpenAndMetricsAreNotUnlessConfigured() throws Exception {
        assertThat(send("GET", "/health", "", OperatorCredential.none()).statusCode()).isEqualTo(200);
        final HttpResponse<String> metrics = send("GET", "/metrics", "", OperatorCredential.none());
        assertThat(metrics.statusCode()).isEqualTo(401);
        assertThat(code(metrics)).isEqualTo("UNAUTHENTICATED");
        assertThat(metrics.headers().allValues("WWW-Authenticate")).contains(RequestSignatures.OPERATOR_SCHEME, "Bearer");
        assertThat(send("GET", "/metrics", "", OperatorCredential.ed25519(VIEWER_OF_A)).statusCode())
                .as("a viewer of one authority only has no grant on '*'").isEqualTo(403);
        assertThat(send("GET", "/metrics", "", OperatorCredential.ed25519(ADMIN)).statusCode()).isEqualTo(200);
    }

    @Test
    void aSignedRequestOfAListedKeyIsTheOperatorsAndNamesTheCaller() throws Exception {
        final HttpResponse<String> r = send("GET", "/authorities/a/state?x=1", "", OperatorCredential.ed25519(VIEWER_OF_A));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("state of a for viewer-a");
    }

    @Test
    void aTamperedSignatureIsRefused() throws Exception {
        final URI uri = base.resolve("/authorities/a/state");
        final String header = OperatorCredential.ed25519(VIEWER_OF_A).authorization("GET", uri, new byte[0]).orElseThrow();
        final String tampered = header.substring(0, header.length() - 2) + (header.endsWith("00") ? "11" : "00");
        final HttpResponse<String> r = withHeader("GET", "/authorities/a/state", tampered);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(code(r)).isEqualTo("BAD_SIGNATURE");
    }

    @Test
    void aSignatureOverAnotherPathOrBodyIsRefused() throws Exception {
        final String header = OperatorCredential.ed25519(ADMIN).authorization("POST", base.resolve("/authorities/a/snapshots"), new byte[0]).orElseThrow();
        final HttpResponse<String> r = withHeader("POST", "/authorities/b/snapshots", header);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(code(r)).isEqualTo("BAD_SIGNATURE");
    }

    @Test
    void aReplayedRequestIsRefused() throws Exception {
        final String header = OperatorCredential.ed25519(ADMIN).authorization("POST", base.resolve("/authorities/a/snapshots"), new byte[0]).orElseThrow();
        assertThat(withHeader("POST", "/authorities/a/snapshots", header).statusCode()).isEqualTo(202);
        final HttpResponse<String> again = withHeader("POST", "/authorities/a/snapshots", header);
        assertThat(again.statusCode()).isEqualTo(401);
        assertThat(code(again)).isEqualTo("REPLAYED_REQUEST");
    }

    @Test
    void aRequestSignedOutsideTheSkewWindowIsRefused() throws Exception {
        final long anHourAgo = System.currentTimeMillis() - 3_600_000;
        final HttpResponse<String> r = send("GET", "/authorities/a/state", "", OperatorCredential.ed25519(ADMIN, () -> anHourAgo));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(code(r)).isEqualTo("STALE_REQUEST");
    }

    @Test
    void aKeyNotInTheOperatorsFileIsRefused() throws Exception {
        final HttpResponse<String> r = send("GET", "/authorities/a/state", "", OperatorCredential.ed25519(STRANGER));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(code(r)).isEqualTo("UNKNOWN_OPERATOR");
    }

    @Test
    void aDeviceSignatureNeverPassesAsAnOperators() throws Exception {
        final URI uri = base.resolve("/authorities/a/state");
        final String device = RequestSignatures.header("GET", uri.getRawPath(), new byte[0], System.currentTimeMillis(),
                Hashing.hex(new byte[16]).replace('0', 'a'), "a", "d1", ADMIN);
        assertThat(code(withHeader("GET", "/authorities/a/state", device))).isEqualTo("MALFORMED_CREDENTIALS");
        // Same parameters under the operator scheme: the message's first line differs, so the signature fails.
        final String relabelled = device.replace(RequestSignatures.SCHEME + " authority=a,device=d1,", RequestSignatures.OPERATOR_SCHEME + " ");
        assertThat(code(withHeader("GET", "/authorities/a/state", relabelled))).isEqualTo("BAD_SIGNATURE");
    }

    @Test
    void aRoleWithoutThePermissionIsForbidden() throws Exception {
        final HttpResponse<String> r = send("POST", "/authorities/a/snapshots", "", OperatorCredential.ed25519(VIEWER_OF_A));
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(code(r)).isEqualTo("PERMISSION_DENIED");
    }

    @Test
    void anOperatorOfAnotherAuthorityIsForbidden() throws Exception {
        final HttpResponse<String> r = send("GET", "/authorities/b/state", "", OperatorCredential.ed25519(VIEWER_OF_A));
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(code(r)).isEqualTo("OTHER_AUTHORITY");
        assertThat(send("PUT", "/config", "{}", OperatorCredential.ed25519(VIEWER_OF_A)).statusCode()).isEqualTo(403);
        assertThat(send("PUT", "/config", "{}", OperatorCredential.ed25519(ADMIN)).statusCode()).isEqualTo(200);
    }

    @Test
    void aValidTokenGrantsItsRolesClaimAndTheFilesEntryForItsSubject() throws Exception {
        final OperatorCredential bob = OperatorCredential.bearer(token(idpKey, "bob", Instant.now().plusSeconds(300), AUDIENCE, List.of("operator@a")));
        assertThat(send("POST", "/authorities/a/snapshots", "", bob).statusCode()).isEqualTo(202);
        assertThat(code(send("POST", "/authorities/b/snapshots", "", bob))).isEqualTo("OTHER_AUTHORITY");
        final OperatorCredential carol = OperatorCredential.bearer(token(idpKey, "carol@example.com", Instant.now().plusSeconds(300), AUDIENCE, List.of()));
        final HttpResponse<String> r = send("GET", "/authorities/b/state", "", carol);
        assertThat(r.body()).isEqualTo("state of b for carol");
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        final OperatorCredential t = OperatorCredential.bearer(token(idpKey, "bob", Instant.now().minusSeconds(600), AUDIENCE, List.of("admin@*")));
        final HttpResponse<String> r = send("GET", "/authorities/a/state", "", t);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(code(r)).isEqualTo("TOKEN_EXPIRED");
    }

    @Test
    void aTokenSignedByAnotherKeyOrForAnotherAudienceIsRefused() throws Exception {
        final OperatorCredential forged = OperatorCredential.bearer(token(otherKey, "bob", Instant.now().plusSeconds(300), AUDIENCE, List.of("admin@*")));
        assertThat(code(send("GET", "/authorities/a/state", "", forged))).isEqualTo("BAD_TOKEN");
        final OperatorCredential elsewhere = OperatorCredential.bearer(token(idpKey, "bob", Instant.now().plusSeconds(300), "other-app", List.of("admin@*")));
        assertThat(code(send("GET", "/authorities/a/state", "", elsewhere))).isEqualTo("BAD_TOKEN");
        assertThat(code(send("GET", "/authorities/a/state", "", OperatorCredential.bearer("not.a.jwt")))).isEqualTo("BAD_TOKEN");
    }

    @Test
    void aBasicLoginChecksItsBcryptHash() throws Exception {
        assertThat(send("GET", "/subjects", "", OperatorCredential.basic("svc", "s3cret")).statusCode()).isEqualTo(200);
        assertThat(code(send("GET", "/subjects", "", OperatorCredential.basic("svc", "guess")))).isEqualTo("BAD_PASSWORD");
        assertThat(code(send("PUT", "/config", "{}", OperatorCredential.basic("svc", "s3cret")))).isEqualTo("PERMISSION_DENIED");
    }

    @Test
    void aRouteWithoutARuleIsRefusedAndListedWithoutOne() throws Exception {
        final HttpResponse<String> r = send("GET", "/forgotten", "", OperatorCredential.ed25519(ADMIN));
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(code(r)).isEqualTo("NO_ACCESS_RULE");
        assertThat(auth.routes()).contains(new OperatorAuth.Route("GET", "/forgotten", Optional.empty()))
                .contains(new OperatorAuth.Route("GET", "/authorities/{id}/state", Optional.of(AccessRule.authority(Permission.STATE_READ))));
    }

    @Test
    void refusalsAreCountedByReason() throws Exception {
        send("GET", "/authorities/zz/state", "", OperatorCredential.ed25519(VIEWER_OF_A));
        assertThat(meters.get(OperatorAuth.REFUSED_METRIC).tag("reason", "OTHER_AUTHORITY").counter().count()).isGreaterThanOrEqualTo(1);
        assertThat(meters.scrape()).contains("factfleet_auth_refused_total{reason=\"OTHER_AUTHORITY\"}");
    }
}
