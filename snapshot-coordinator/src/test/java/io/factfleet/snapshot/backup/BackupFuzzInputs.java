package io.factfleet.snapshot.backup;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.snapshot.BackupContents;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Backup contents as {@link BackupTool#export} makes them, from the deterministic fixtures, for the backup fuzz targets. */
final class BackupFuzzInputs {
    static final char[] PASSPHRASE = "fuzzing passphrase".toCharArray();
    static final FactAdmission ADMISSION = new FactAdmission(FuzzFixtures.operatorKeys(), SignatureVerifier.bouncyCastle());

    private BackupFuzzInputs() {
    }

    /** A snapshot covering genesis and 4 entries, and a tail of 3 more entries. */
    static BackupContents withSnapshot() {
        final AuthorityGenesis site = FuzzFixtures.authority("fuzz-site", 3, 2);
        final FuzzFixtures.Snapshot snapshot = FuzzFixtures.snapshot(site, 4);
        final List<ByteBuffer> tail = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tail.add(ByteBuffer.wrap(Canonical.bytes(FuzzFixtures.device(site, i).journalEntry(0, ("tail-" + i).getBytes(), new byte[] {(byte) i}))));
        }
        return BackupContents.newBuilder().setFormatVersion(BackupTool.FORMAT_VERSION).setAuthorityId(site.authorityId())
                .setCreatedAtMillis(FuzzFixtures.T0).setPointer(snapshot.pointer()).setBlob(ByteBuffer.wrap(snapshot.blobBytes()))
                .setTail(tail).build();
    }

    /** No snapshot yet: the whole journal (genesis and 3 entries) is the tail. */
    static BackupContents journalOnly() {
        final AuthorityGenesis site = FuzzFixtures.authority("fuzz-journal", 2, 1);
        final List<ByteBuffer> tail = new ArrayList<>();
        tail.add(ByteBuffer.wrap(Canonical.bytes(FuzzFixtures.genesis(site))));
        for (final FactEnvelope fact : FuzzFixtures.entries(site, 3)) {
            tail.add(ByteBuffer.wrap(Canonical.bytes(fact)));
        }
        return BackupContents.newBuilder().setFormatVersion(BackupTool.FORMAT_VERSION).setAuthorityId(site.authorityId())
                .setCreatedAtMillis(FuzzFixtures.T0).setPointer(null).setBlob(null).setTail(tail).build();
    }
}
