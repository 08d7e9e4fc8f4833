package io.factfleet.core;

import io.factfleet.schema.KeySignature;
import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterMember;
import io.factfleet.schema.ThresholdCertificate;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bulk roster changes ({@link RosterBatchChange}): many enrolments and removals that advance the
 * identity epoch once. A batch is all or nothing; {@link #problem} names the first bad entry by its
 * list and index ({@code enrol[17]}, {@code remove[3]}) so a manifest's tool can point at its row.
 * Checks cost O(roster + batch), with hash sets, not a scan of the roster per entry.
 *
 * <p>Co-signing is offline, as in TUF: the coordinator hands out the {@link #statement} bytes, M holders of
 * current device keys each sign them ({@link #cosign}), and {@link #certify} checks every co-signature
 * against the roster before the certificate is assembled.
 */
public final class RosterBatches {
    /** The most devices one batch may enrol or remove; a site of 10,000 devices is provisioned in one step. */
    public static final int MAX_ENTRIES = 10_000;
    private static final byte[] STATEMENT_PREFIX = ThresholdCertificates.messagePrefix(RosterBatchChange.getClassSchema());

    private RosterBatches() {
    }

    /** Why {@code change} cannot apply to {@code current} (a reason code first), or null when it can. */
    public static String problem(final RosterAtEpoch current, final RosterBatchChange change) {
        final int size = change.getEnrol().size() + change.getRemove().size();
        if (size == 0) {
            return "EMPTY_BATCH: the batch enrols and removes nothing";
        }
        if (size > MAX_ENTRIES) {
            return "BATCH_TOO_LARGE: the batch has " + size + " entries; at most " + MAX_ENTRIES + " per batch";
        }
        final Map<String, RosterEntry> byDevice = new HashMap<>();
        final Set<String> keyIds = new HashSet<>();
        for (final RosterEntry m : current.getMembers()) {
            byDevice.put(m.getDeviceId(), m);
            keyIds.add(m.getKeyId());
        }
        final Set<String> enrolled = new HashSet<>();
        final Set<String> newKeys = new HashSet<>();
        final List<RosterMember> enrol = change.getEnrol();
        for (int i = 0; i < enrol.size(); i++) {
            final RosterMember m = enrol.get(i);
            final byte[] key = Canonical.array(m.getPublicKey());
            final String at = "enrol[" + i + "] (device " + m.getDeviceId() + "): ";
            if (m.getDeviceId().isBlank()) {
                return "INVALID_DEVICE_ID: enrol[" + i + "]: a device id must not be blank";
            }
            if (key.length != Ed25519Keys.PUBLIC_KEY_BYTES) {
                return "INVALID_PUBLIC_KEY: " + at + "an Ed25519 public key is 32 bytes, got " + key.length;
            }
            if (!enrolled.add(m.getDeviceId())) {
                return "DUPLICATE_DEVICE: " + at + "the batch enrols this device twice";
            }
            if (byDevice.containsKey(m.getDeviceId())) {
                return "ALREADY_ENROLLED: " + at + "the device is already on the roster";
            }
            final String keyId = Ed25519Keys.keyId(key);
            if (keyIds.contains(keyId)) {
                return "KEY_IN_USE: " + at + "key " + keyId + " already belongs to a rostered device";
            }
            if (!newKeys.add(keyId)) {
                return "DUPLICATE_KEY: " + at + "key " + keyId + " appears twice in the batch";
            }
        }
        final Set<String> removed = new HashSet<>();
        final List<String> remove = change.getRemove();
        for (int i = 0; i < remove.size(); i++) {
            final String deviceId = remove.get(i);
            final String at = "remove[" + i + "] (device " + deviceId + "): ";
            if (!removed.add(deviceId)) {
                return "DUPLICATE_DEVICE: " + at + "the batch removes this device twice";
            }
            if (enrolled.contains(deviceId)) {
                return "DUPLICATE_DEVICE: " + at + "the batch both enrols and removes this device";
            }
            if (!byDevice.containsKey(deviceId)) {
                return "NOT_ENROLLED: " + at + "the device is not on the roster";
            }
        }
        return null;
    }

    /**
     * The exact bytes a co-signer signs for {@code change}: {@link ThresholdCertificates#message} of the statement
     * ({@code "factfleet/cert/v1" 0x00 "io.factfleet.schema.RosterBatchChange" 0x00} and its canonical bytes).
     */
    public static byte[] statement(final RosterBatchChange change) {
        return ThresholdCertificates.message(change);
    }

    /**
     * The batch {@code statement} (bytes from {@link #statement}) speaks about, for a co-signer to look at before signing.
     *
     * @throws IllegalArgumentException when the bytes are not a roster batch statement
     */
    public static RosterBatchChange readStatement(final byte[] statement) {
        final int prefix = STATEMENT_PREFIX.length;
        if (statement.length < prefix || !Arrays.equals(statement, 0, prefix, STATEMENT_PREFIX, 0, prefix)) {
            throw new IllegalArgumentException("not a roster batch statement: it must start with \"factfleet/cert/v1\\0"
                    + RosterBatchChange.getClassSchema().getFullName() + "\\0\"");
        }
        return Canonical.decode(Arrays.copyOfRange(statement, prefix, statement.length), RosterBatchChange.class);
    }

    /**
     * A device key holder's co-signature of {@code statement} (bytes from {@link #statement}): Ed25519 over exactly those
     * bytes, as a certificate signature. Refuses bytes that are not a roster batch statement, so a device key never
     * signs something else by mistake.
     */
    public static KeySignature cosign(final byte[] statement, final Ed25519Keys.SigningKey key) {
        readStatement(statement);
        return new KeySignature(key.keyId(), ByteBuffer.wrap(key.sign(statement)));
    }

    /** {@link #cosign(byte[], Ed25519Keys.SigningKey)} of the statement record itself. */
    public static KeySignature cosign(final RosterBatchChange change, final Ed25519Keys.SigningKey key) {
        return ThresholdCertificates.sign(change, key);
    }

    /** One co-signature as received: who signed (a device id, a key id, or both) and the signature. */
    public record Cosignature(String deviceId, String keyId, byte[] signature) {
        String signer() {
            return deviceId != null ? "device " + deviceId : "key " + keyId;
        }
    }

    /** Why a co-signature does not count: a stable code, the signer it is about (device or key id), and what to do. */
    public record CosignRefusal(String code, String signer, String message) {
        @Override
        public String toString() {
            return code + ": " + message;
        }
    }

    /** The certificate of M or more checked co-signatures (keys in key-id order), or every refusal (certificate null). */
    public record Certification(ThresholdCertificate certificate, List<String> signers, List<CosignRefusal> refusals) {
        public boolean certified() {
            return refusals.isEmpty();
        }
    }

    /**
     * Checks every co-signature of {@code change} against {@code current}, the roster of the change's own epoch: each
     * must name a member (by device id or key id, consistently), verify over {@link #statement}, and come from a
     * member that has not signed already; then at least the roster's threshold must remain. Unlike a certificate's
     * check, where an extra bad signature is ignored, a bad co-signature is refused here so the operator learns which
     * device key is wrong before anything is published.
     */
    public static Certification certify(final RosterAtEpoch current, final RosterBatchChange change, final List<Cosignature> cosignatures,
                                        final SignatureVerifier verifier) {
        if (current.getEpoch() != change.getFromEpoch()) {
            throw new IllegalArgumentException("the roster is of epoch " + current.getEpoch() + " but the batch is from epoch " + change.getFromEpoch());
        }
        final Map<String, RosterEntry> byDevice = new HashMap<>();
        final Map<String, RosterEntry> byKey = new HashMap<>();
        for (final RosterEntry m : current.getMembers()) {
            byDevice.put(m.getDeviceId(), m);
            byKey.put(m.getKeyId(), m);
        }
        final byte[] message = statement(change);
        final String sha = Hashing.hex(Hashing.sha256(message));
        final List<CosignRefusal> refusals = new ArrayList<>();
        final Map<String, KeySignature> counted = new HashMap<>();
        final List<String> signers = new ArrayList<>();
        for (final Cosignature c : cosignatures) {
            if (c.deviceId() == null && c.keyId() == null) {
                refusals.add(new CosignRefusal("MALFORMED_COSIGNATURE", "", "a co-signature must name its deviceId or keyId"));
                continue;
            }
            final RosterEntry member = c.deviceId() != null ? byDevice.get(c.deviceId()) : byKey.get(c.keyId());
            final String who = c.deviceId() != null ? c.deviceId() : c.keyId();
            if (member == null) {
                refusals.add(new CosignRefusal("COSIGNER_NOT_MEMBER", who, c.signer() + " is not on the roster of epoch " + current.getEpoch()
                        + "; only devices rostered at the batch's epoch can co-sign it"));
                continue;
            }
            if (c.deviceId() != null && c.keyId() != null && !c.keyId().equals(member.getKeyId())) {
                refusals.add(new CosignRefusal("COSIGNER_KEY_MISMATCH", who, "device " + c.deviceId() + " holds key " + member.getKeyId()
                        + ", not " + c.keyId() + "; sign with the device's current key"));
                continue;
            }
            if (counted.containsKey(member.getKeyId())) {
                refusals.add(new CosignRefusal("DUPLICATE_COSIGNER", who, "device " + member.getDeviceId() + " co-signed more than once; "
                        + "each device counts once, send its signature once"));
                continue;
            }
            if (c.signature() == null || c.signature().length != Ed25519Keys.SIGNATURE_BYTES
                    || !verifier.verify(Canonical.array(member.getPublicKey()), message, c.signature())) {
                refusals.add(new CosignRefusal("BAD_COSIGNATURE", who, "the signature of device " + member.getDeviceId() + " (key "
                        + member.getKeyId() + ") does not verify over the statement (SHA-256 " + sha
                        + "); sign the prepared statement's bytes with that device's key"));
                continue;
            }
            counted.put(member.getKeyId(), new KeySignature(member.getKeyId(), ByteBuffer.wrap(c.signature().clone())));
            signers.add(member.getDeviceId());
        }
        if (refusals.isEmpty() && counted.size() < current.getThreshold()) {
            refusals.add(new CosignRefusal("TOO_FEW_SIGNATURES", "", counted.size() + " valid co-signature" + (counted.size() == 1 ? "" : "s") + " of "
                    + current.getThreshold() + " needed (the threshold of epoch " + current.getEpoch() + "); collect "
                    + (current.getThreshold() - counted.size()) + " more from rostered devices"));
        }
        if (!refusals.isEmpty()) {
            return new Certification(null, List.of(), List.copyOf(refusals));
        }
        final List<KeySignature> signatures = new ArrayList<>(counted.values());
        // Key-id order: the same co-signatures in any order make the same certificate, and so the same fact.
        signatures.sort(Comparator.comparing(KeySignature::getKeyId));
        signers.sort(Comparator.naturalOrder());
        return new Certification(new ThresholdCertificate(signatures), List.copyOf(signers), List.of());
    }

    /** The members after {@code change} (checked by {@link #problem} first); enrolled devices join at fromEpoch + 1. */
    public static List<RosterEntry> apply(final RosterAtEpoch current, final RosterBatchChange change) {
        final Set<String> removed = new HashSet<>(change.getRemove());
        final List<RosterEntry> members = new ArrayList<>(current.getMembers().size() + change.getEnrol().size());
        for (final RosterEntry m : current.getMembers()) {
            if (!removed.contains(m.getDeviceId())) {
                members.add(m);
            }
        }
        for (final RosterMember m : change.getEnrol()) {
            final byte[] key = Canonical.array(m.getPublicKey());
            members.add(new RosterEntry(m.getDeviceId(), Ed25519Keys.keyId(key), ByteBuffer.wrap(key), change.getFromEpoch() + 1));
        }
        return members;
    }
}
