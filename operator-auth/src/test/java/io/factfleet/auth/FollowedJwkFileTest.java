package io.factfleet.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.factfleet.auth.internal.FollowedJwkFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FollowedJwkFileTest {
    @TempDir
    Path dir;

    private static JWKSelector byId(final String keyId) {
        return new JWKSelector(new JWKMatcher.Builder().keyID(keyId).build());
    }

    @Test
    void anIdentityProvidersRotatedKeysAreReadWithoutARestartAndABrokenFileKeepsThePreviousOnes() throws Exception {
        final RSAKey first = new RSAKeyGenerator(2048).keyID("k1").generate();
        final RSAKey second = new RSAKeyGenerator(2048).keyID("k2").generate();
        final Path file = dir.resolve("jwks.json");
        Files.writeString(file, new JWKSet(first.toPublicJWK()).toString());
        final AtomicLong now = new AtomicLong(0);
        final FollowedJwkFile keys = new FollowedJwkFile(file, Duration.ofSeconds(1), now::get);
        assertThat(keys.get(byId("k1"), null)).hasSize(1);

        Files.writeString(file, new JWKSet(second.toPublicJWK()).toString());
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertThat(keys.get(byId("k2"), null)).as("not checked again within a second").isEmpty();
        now.addAndGet(1_000);
        assertThat(keys.get(byId("k2"), null)).hasSize(1);
        assertThat(keys.get(byId("k1"), null)).isEmpty();

        Files.writeString(file, "{ not a jwks");
        now.addAndGet(1_000);
        assertThat(keys.get(byId("k2"), null)).as("a broken file keeps the previous keys").hasSize(1);
    }
}
