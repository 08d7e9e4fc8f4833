package io.factfleet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.factfleet.auth.AccessRule;
import io.factfleet.auth.Caller;
import io.factfleet.auth.OperatorAuth;
import io.factfleet.auth.OperatorAuthConfig;
import io.factfleet.auth.OperatorEntry;
import io.factfleet.auth.OperatorsFile;
import io.factfleet.auth.Permission;
import io.factfleet.core.Hashing;
import io.factfleet.deploy.OperatorKey;
import io.factfleet.deploy.StackMain;
import io.javalin.Javalin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands' --key and --token against a real guarded endpoint (operator-auth in a Javalin app). */
class OperatorIdentityTest {
    private static final String ISSUER = "https://idp.cli.test/";
    @TempDir
    Path dir;
    private Javalin app;
    private RSAKey idp;
    private Path key;
    private String url;
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void startAGuardedReducerStandIn() throws Exception {
        idp = new RSAKeyGenerator(2048).keyID("cli").generate();
        final Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(idp.toPublicJWK()).toString());
        key = dir.resolve("alice.key");
        final String alicePublic = Hashing.hex(OperatorKey.loadOrCreate(key).publicKey());
        final Path operators = dir.resolve("operators.json");
        OperatorsFile.write(operators, List.of(OperatorEntry.ed25519("alice", List.of(alicePublic), Map.of("a1", List.of("viewer")))));
        final OperatorAuth auth = OperatorAuth.fromProperties(Map.of(OperatorAuthConfig.OPERATORS_FILE, operators.toString(),
                OperatorAuthConfig.JWKS_FILE, jwks.toString(), OperatorAuthConfig.JWT_ISSUER, ISSUER, OperatorAuthConfig.JWT_AUDIENCE, "factfleet"),
                new SimpleMeterRegistry());
        app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            auth.configure(c);
        });
        app.get("/authorities/{id}/state", ctx -> ctx.contentType("application/json").result("{\"authorityId\":\"" + ctx.pathParam("id")
                + "\",\"by\":\"" + OperatorAuth.caller(ctx).map(Caller::id).orElse("") + "\",\"state\":{},\"digest\":\"00\"}"),
                AccessRule.authority(Permission.STATE_READ));
        app.start("127.0.0.1", 0);
        url = "http://127.0.0.1:" + app.port();
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private int state(final String... identity) {
        final CommandLine cli = StackMain.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        final String[] all = new String[identity.length + 4];
        all[0] = "state";
        all[1] = "a1";
        all[2] = "--reducer-url";
        all[3] = url;
        System.arraycopy(identity, 0, all, 4, identity.length);
        return cli.execute(all);
    }

    private String token(final Instant expiry) throws Exception {
        final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("cli").build(), new JWTClaimsSet.Builder()
                .issuer(ISSUER).audience("factfleet").subject("bob").expirationTime(Date.from(expiry))
                .claim(OperatorAuthConfig.DEFAULT_ROLES_CLAIM, List.of("viewer@a1")).build());
        jwt.sign(new RSASSASigner(idp));
        return jwt.serialize();
    }

    @Test
    void aCommandSignsWithTheKeyItIsGiven() {
        assertThat(state("--key", key.toString())).as(err.toString()).isEqualTo(ExitCodes.OK);
    }

    @Test
    void aCommandSendsTheTokenItIsGivenAndAnExpiredOneIsDenied() throws Exception {
        assertThat(state("--token", token(Instant.now().plusSeconds(300)))).as(err.toString()).isEqualTo(ExitCodes.OK);
        assertThat(state("--token", token(Instant.now().minusSeconds(300)))).isEqualTo(ExitCodes.DENIED);
        assertThat(err.toString()).contains("TOKEN_EXPIRED");
    }

    @Test
    void aKeyTheServiceDoesNotKnowIsDeniedAndAKeyFileOthersCanReadIsBadUsage() throws Exception {
        final Path stranger = dir.resolve("stranger.key");
        OperatorKey.loadOrCreate(stranger);
        assertThat(state("--key", stranger.toString())).isEqualTo(ExitCodes.DENIED);
        assertThat(err.toString()).contains("UNKNOWN_OPERATOR");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(state("--key", key.toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("chmod 600");
    }

    @Test
    void aClientCertificateThatCannotBeReadIsBadUsageNamingTheOption() {
        assertThat(state("--cert", dir.resolve("missing.p12").toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--cert").contains("missing.p12");
    }
}
