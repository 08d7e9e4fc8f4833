package io.factfleet.system;

import io.factfleet.testkit.TestOperators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.Hashing;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.schema.EpochAdvance;
import io.factfleet.schema.EpochAdvanced;
import io.factfleet.schema.snapshot.BackupContents;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.snapshot.backup.ArchiveCipher;
import io.factfleet.snapshot.backup.BackupException;
import io.factfleet.snapshot.backup.BackupTool;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** An encrypted backup exported from one cluster restores into a second, empty one with equal digests; a flipped byte is refused. */
class BackupRestoreIT {
    @RegisterExtension
    static final KafkaClusterExtension SOURCE = KafkaClusterExtension.singleBroker();
    @RegisterExtension
    static final KafkaClusterExtension TARGET = KafkaClusterExtension.singleBroker();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final AuthorityGenesis FLEET = AuthorityGenesis.generate("fleet-backup", 5, 3);
    private static final String A = FLEET.authorityId();
    private static final char[] PASSPHRASE = "a long operator passphrase".toCharArray();

    @TempDir
    static Path dir;
    private static InProcessSpine source;
    private static InProcessSpine target;
    private static SnapshotCoordinatorService sourceCoordinator;
    private static SnapshotCoordinatorService targetCoordinator;

    @BeforeAll
    static void startBothClusters() {
        source = InProcessSpine.start(SOURCE, dir.resolve("source"), OPERATOR, 1, 2, 1);
        target = InProcessSpine.start(TARGET, dir.resolve("target"), OPERATOR, 1, 2, 1);
        sourceCoordinator = coordinator(SOURCE, source, dir.resolve("source-coordinator"));
        targetCoordinator = coordinator(TARGET, target, dir.resolve("target-coordinator"));
    }

    private static SnapshotCoordinatorService coordinator(final KafkaClusterExtension kafka, final InProcessSpine spine, final Path stateDir) {
        final Properties p = spine.operators.serviceProps();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("schema.registry.url", spine.registryUrl);
        p.put("state.dir", stateDir.toString());
        p.put(SnapshotConfig.HTTP_PORT, "0");
        p.put(SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1");
        p.put(SnapshotConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR.publicKey()));
        final SnapshotCoordinatorService c = new SnapshotCoordinatorService(SnapshotConfig.of(p, AdminKeyRing.of(Map.of(A, FLEET.adminKey())))).start();
        Await.until("a coordinator is RUNNING", Duration.ofSeconds(60), () -> c.streamsState() == KafkaStreams.State.RUNNING);
        return c;
    }

    @AfterAll
    static void stopBothClusters() {
        io.factfleet.testkit.Closeables.closeAll(sourceCoordinator, targetCoordinator, source, target);
    }

    private static JsonNode get(final URI base, final String path) throws Exception {
        final HttpResponse<String> r = HTTP.send(TestOperators.get(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    private static JsonNode state(final ReducerService reducer) throws Exception {
        return get(URI.create("http://" + reducer.applicationServer()), "/authorities/" + A + "/state");
    }

    @Test
    void aBackupRestoresIntoAnEmptyClusterWithEqualDigestsAndATamperedArchiveIsRefused() throws Exception {
        // Source: 50 facts, a completed snapshot, then a tail with an epoch advance and facts at the new epoch.
        source.publish(FLEET.genesisFact(OPERATOR));
        for (int i = 0; i < 50; i++) {
            source.publishAsync(FLEET.device(i % 5).journalEntry(0, ("before-" + i).getBytes(), new byte[] {(byte) i}));
        }
        source.flush();
        Await.until("the source coordinator folded 51 facts", Duration.ofSeconds(60), () -> {
            final JsonNode s = get(sourceCoordinator.httpUri(), "/authorities/" + A + "/snapshots/status");
            return s != null && s.path("factCount").asLong() == 51;
        });
        HTTP.send(TestOperators.post(sourceCoordinator.httpUri().resolve("/authorities/" + A + "/snapshots"), "").build(),
                HttpResponse.BodyHandlers.ofString());
        Await.until("the proposal is open", Duration.ofSeconds(60),
                () -> "OPEN".equals(get(sourceCoordinator.httpUri(), "/authorities/" + A + "/snapshots/status").path("openProposal").path("phase").asText()));
        final JsonNode open = get(sourceCoordinator.httpUri(), "/authorities/" + A + "/snapshots/status").path("openProposal");
        for (int d = 0; d < 3; d++) {
            source.publish(FLEET.device(d).approveSnapshot(0, open.path("proposalId").asText(), 0, Hashing.unhex(open.path("digest").asText())));
        }
        Await.until("the snapshot completes", Duration.ofSeconds(60), () -> open.path("proposalId").asText()
                .equals(get(sourceCoordinator.httpUri(), "/authorities/" + A + "/snapshots/status").path("lastSnapshot").path("proposalId").asText()));
        final EpochAdvance advance = new EpochAdvance(A, 0L, "after the snapshot");
        source.publish(FLEET.admin().sign(0, new EpochAdvanced(advance, ThresholdCertificates.of(advance, FLEET.deviceKeys().subList(0, 3)))));
        for (int i = 0; i < 20; i++) {
            source.publish(FLEET.device(i % 5).journalEntry(1, ("after-" + i).getBytes(), new byte[] {(byte) i}));
        }
        final ReducerService sourceReducer = source.reducer(0);
        Await.until("the source reducer folded the tail", Duration.ofSeconds(60),
                () -> state(sourceReducer) != null && state(sourceReducer).path("state").path("journalEntryCount").asLong() == 70);
        final String sourceDigest = state(sourceReducer).path("digest").asText();

        // Export and seal.
        final BackupContents exported = BackupTool.export(SOURCE.clientProps(),
                new HttpSchemaRegistryClient(source.operators.registryClient(source.registryUrl)), A, (n, total) -> { });
        assertThat(exported.getPointer()).isNotNull();
        assertThat(exported.getTail()).hasSizeGreaterThanOrEqualTo(25);
        final byte[] archive = ArchiveCipher.seal(Canonical.bytes(exported), PASSPHRASE, new SecureRandom());

        // A flipped byte is refused before anything is written.
        final byte[] tampered = archive.clone();
        tampered[archive.length / 3] ^= 0x10;
        assertThatThrownBy(() -> ArchiveCipher.open(tampered, PASSPHRASE))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("BACKUP_TAMPERED"));

        // A target that does not trust the source's operator key refuses the roster chain.
        final BackupContents opened = Canonical.decode(ArchiveCipher.open(archive, PASSPHRASE), BackupContents.class);
        assertThatThrownBy(() -> BackupTool.verify(opened, new FactAdmission(Map.of(), SignatureVerifier.bouncyCastle())))
                .hasMessageContaining("ROSTER_CHAIN_INVALID").hasMessageContaining("UNTRUSTED_OPERATOR");

        // Restore into the empty target; its reducer reaches the source's digest.
        final FactAdmission targetTrust = new FactAdmission(Map.of(OPERATOR.keyId(), OPERATOR.publicKey()), SignatureVerifier.bouncyCastle());
        final BackupTool.Restored restored = BackupTool.restore(TARGET.clientProps(),
                new HttpSchemaRegistryClient(target.operators.registryClient(target.registryUrl)), opened, targetTrust, Duration.ofSeconds(2), (n, t) -> { });
        assertThat(restored.coveredFacts()).isEqualTo(51);
        final ReducerService targetReducer = target.reducer(0);
        Await.until("the target reducer has the source's digest", Duration.ofSeconds(90),
                () -> state(targetReducer) != null && sourceDigest.equals(state(targetReducer).path("digest").asText()));

        // The restored authority is live: its devices' new facts are admitted at the current epoch.
        target.publish(FLEET.device(2).journalEntry(1, "after-restore".getBytes(), new byte[] {1}));
        Await.until("the target admits new facts", Duration.ofSeconds(60),
                () -> state(targetReducer).path("state").path("journalEntryCount").asLong() == 71);

        // Restoring again into the same cluster is refused.
        assertThatThrownBy(() -> BackupTool.restore(TARGET.clientProps(), new HttpSchemaRegistryClient(target.operators.registryClient(target.registryUrl)),
                opened, targetTrust, Duration.ZERO, (n, t) -> { }))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("AUTHORITY_EXISTS"));
    }
}
