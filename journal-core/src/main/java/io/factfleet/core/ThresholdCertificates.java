package io.factfleet.core;

import io.factfleet.schema.KeySignature;
import io.factfleet.schema.ThresholdCertificate;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEntry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;

/**
 * Threshold certificates: signatures of distinct rostered keys over one statement.
 *
 * <p>Each signer signs {@code "factfleet/cert/v1" || 0x00 || statement schema full name || 0x00 ||
 * canonical bytes of the statement}. The statement records (DeviceEnrolment, SnapshotStatement,
 * UpgradeMetadata, ...) carry the authority and epoch they speak about, so a signature cannot be
 * replayed for another authority, epoch or kind of statement.
 */
public final class ThresholdCertificates {
    private static final byte[] CERT_DOMAIN = "factfleet/cert/v1\0".getBytes(StandardCharsets.US_ASCII);

    private ThresholdCertificates() {
    }

    /** The bytes every certificate signer signs for {@code statement}. */
    public static byte[] message(final SpecificRecord statement) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(messagePrefix(statement.getSchema()));
        out.writeBytes(Canonical.bytes(statement));
        return out.toByteArray();
    }

    /** What every message of a statement of {@code schema} starts with: the domain tag and the schema's full name, each ended by 0x00. */
    public static byte[] messagePrefix(final org.apache.avro.Schema schema) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.writeBytes(CERT_DOMAIN);
        out.writeBytes(schema.getFullName().getBytes(StandardCharsets.UTF_8));
        out.write(0);
        return out.toByteArray();
    }

    public static KeySignature sign(final SpecificRecord statement, final Ed25519Keys.SigningKey key) {
        return new KeySignature(key.keyId(), ByteBuffer.wrap(key.sign(message(statement))));
    }

    public static ThresholdCertificate of(final SpecificRecord statement, final List<Ed25519Keys.SigningKey> keys) {
        final List<KeySignature> signatures = new ArrayList<>();
        for (final Ed25519Keys.SigningKey key : keys) {
            signatures.add(sign(statement, key));
        }
        return new ThresholdCertificate(signatures);
    }

    /** The outcome of checking a certificate, with what did not count and why. */
    public record Check(boolean valid, int distinctValidSigners, int threshold, List<String> problems,
                        int duplicateSignatures, int unrosteredSignatures, int invalidSignatures) {
        public String describe() {
            return distinctValidSigners + " distinct valid rostered signatures of " + threshold + " required"
                    + (problems.isEmpty() ? "" : " (" + String.join("; ", problems) + ")");
        }
    }

    /**
     * Checks {@code certificate} over {@code statement} against the roster at the statement's epoch:
     * valid when at least {@code roster.threshold} distinct member keys produced a valid signature.
     * A key that signs twice counts once; an unrostered key or a bad signature is reported and
     * ignored.
     */
    public static Check verify(final ThresholdCertificate certificate, final SpecificRecord statement,
                               final RosterAtEpoch roster, final SignatureVerifier verifier) {
        return verify(certificate, message(statement), roster.getMembers(), roster.getThreshold(), verifier);
    }

    public static Check verify(final ThresholdCertificate certificate, final byte[] message,
                               final List<RosterEntry> members, final int threshold, final SignatureVerifier verifier) {
        final Set<String> counted = new LinkedHashSet<>();
        final List<String> problems = new ArrayList<>();
        int duplicates = 0;
        int unrostered = 0;
        int invalid = 0;
        for (final KeySignature signature : certificate.getSignatures()) {
            final RosterEntry member = Rosters.memberByKeyId(members, signature.getKeyId());
            if (member == null) {
                problems.add("key " + signature.getKeyId() + " is not on the roster");
                unrostered++;
            } else if (counted.contains(signature.getKeyId())) {
                problems.add("key " + signature.getKeyId() + " signed more than once; counted once");
                duplicates++;
            } else if (verifier.verify(Canonical.array(member.getPublicKey()), message, Canonical.array(signature.getSignature()))) {
                counted.add(signature.getKeyId());
            } else {
                problems.add("signature by key " + signature.getKeyId() + " does not verify");
                invalid++;
            }
        }
        return new Check(threshold > 0 && counted.size() >= threshold, counted.size(), threshold, List.copyOf(problems),
                duplicates, unrostered, invalid);
    }
}
