package io.factfleet.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorsFileTest {
    @TempDir
    Path dir;

    private static OperatorEntry admin(final String id, final Ed25519Keys.SigningKey key) {
        return OperatorEntry.ed25519(id, List.of(Hashing.hex(key.publicKey())), Map.of("*", List.of("admin")));
    }

    @Test
    void aFileOthersCanReadIsRefusedWithTheFix() throws Exception {
        final Path file = dir.resolve("operators.json");
        OperatorsFile.write(file, List.of(admin("root", Ed25519Keys.generate())));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> OperatorsFile.read(file)).isInstanceOf(IOException.class).hasMessageContaining("chmod 600 " + file);
        assertThatThrownBy(() -> OperatorsFile.follow(file, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chmod 600");
    }

    @Test
    void anUnknownRoleOrAMalformedKeyIsRefusedNamingTheOperator() {
        final Path file = dir.resolve("operators.json");
        assertThatThrownBy(() -> OperatorsFile.write(file, List.of(OperatorEntry.ed25519("eve", List.of("zz"), Map.of()))))
                .hasMessageContaining("eve");
        assertThatThrownBy(() -> OperatorsFile.write(file, List.of(OperatorEntry.ed25519("eve", List.of(), Map.of("*", List.of("god"))))))
                .hasMessageContaining("unknown role 'god'");
    }

    @Test
    void aChangedFileIsReReadAndABrokenEditKeepsThePreviousOperators() throws Exception {
        final Path file = dir.resolve("operators.json");
        final Ed25519Keys.SigningKey first = Ed25519Keys.generate();
        final Ed25519Keys.SigningKey second = Ed25519Keys.generate();
        OperatorsFile.write(file, List.of(admin("root", first)));
        final AtomicLong now = new AtomicLong(1_000);
        final OperatorsFile followed = OperatorsFile.follow(file, Duration.ofSeconds(1), now::get);
        assertThat(followed.directory().byKeyId(first.keyId())).isPresent();

        OperatorsFile.put(file, admin("root", second)); // key rotation: same operator, new key
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertThat(followed.directory().byKeyId(second.keyId())).as("not checked again within a second").isEmpty();
        now.addAndGet(1_000);
        assertThat(followed.directory().byKeyId(second.keyId())).isPresent();
        assertThat(followed.directory().byKeyId(first.keyId())).isEmpty();

        Files.writeString(file, "{ not json");
        now.addAndGet(1_000);
        assertThat(followed.directory().byKeyId(second.keyId())).as("a broken edit keeps the previous version").isPresent();
    }

    @Test
    void aKeyFileOthersCanReadIsRefusedAndAnOwnerOnlyOneSigns() throws Exception {
        final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
        final Path file = dir.resolve("operator.key");
        Files.writeString(file, Hashing.hex(key.seed()) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> OperatorCredential.keyFile(file)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("chmod 600");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        final String header = OperatorCredential.keyFile(file).authorization("GET", java.net.URI.create("http://h/x?y=1"), new byte[0]).orElseThrow();
        assertThat(header).startsWith(io.factfleet.core.RequestSignatures.OPERATOR_SCHEME + " key=" + key.keyId() + ",ts=");
    }

    @Test
    void configWithAuthOnButNoWayToAuthenticateIsRefused() {
        assertThatThrownBy(() -> OperatorAuthConfig.from(Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(OperatorAuthConfig.OPERATORS_FILE);
        assertThat(OperatorAuthConfig.from(Map.of(OperatorAuthConfig.ENABLED, "false")).enabled()).isFalse();
        assertThatThrownBy(() -> OperatorAuthConfig.from(Map.of(OperatorAuthConfig.JWKS_URL, "https://idp/jwks")))
                .hasMessageContaining(OperatorAuthConfig.JWT_ISSUER);
    }

    @Test
    void rolesGiveWhatTheIssueNames() {
        assertThat(Role.VIEWER.permissions()).contains(Permission.STATE_READ, Permission.LAG_READ).doesNotContain(Permission.SNAPSHOT_PROPOSE);
        assertThat(Role.OPERATOR.permissions()).contains(Permission.SNAPSHOT_PROPOSE, Permission.ROLLOUT_CONTROL).doesNotContain(Permission.UPGRADE_APPROVE);
        assertThat(Role.RELEASE_MANAGER.permissions()).contains(Permission.UPGRADE_PROPOSE, Permission.UPGRADE_APPROVE)
                .doesNotContain(Permission.ROLLOUT_CONTROL);
        assertThat(Role.ADMIN.permissions()).contains(Permission.REGISTRY_CONFIG, Permission.ROSTER_WRITE, Permission.BACKUP, Permission.RESTORE);
        assertThat(Role.byLabel("release-manager")).contains(Role.RELEASE_MANAGER);
    }
}
