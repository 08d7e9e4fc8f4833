package io.factfleet.core;

import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterMember;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
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
 */
public final class RosterBatches {
    /** The most devices one batch may enrol or remove; a site of 10,000 devices is provisioned in one step. */
    public static final int MAX_ENTRIES = 10_000;

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
