package io.factfleet.core;

import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterMember;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A site's device manifest: the devices an operator provisions in one step, checked row by row
 * against the current roster before anything is signed, so that a bad row is refused with its line
 * number and nothing of the batch is applied.
 *
 * <p>Format: UTF-8 text, one device per line, {@code device_id,public_key}, the key as 64 hex
 * digits (a 32-byte Ed25519 public key). An optional header line {@code device_id,public_key},
 * blank lines and lines starting with {@code #} are skipped. Device ids are 1 to 128 characters of
 * {@code [A-Za-z0-9._-]}, so no quoting is ever needed. Line numbers count every line from 1.
 */
public final class EnrolmentManifest {
    public static final String HEADER = "device_id,public_key";
    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern HEX_KEY = Pattern.compile("[0-9a-fA-F]{64}");

    /** One refused row: its line number, a stable code and what to fix. */
    public record Refusal(int line, String code, String message) {
        @Override
        public String toString() {
            return "line " + line + ": " + code + ": " + message;
        }
    }

    /** A device of the manifest and the line it came from. */
    public record Row(int line, String deviceId, byte[] publicKey) {
    }

    /** The manifest's rows when every one is good, else every refusal (rows is then empty). */
    public record Result(List<Row> rows, List<Refusal> refusals) {
        public boolean accepted() {
            return refusals.isEmpty();
        }
    }

    private EnrolmentManifest() {
    }

    /**
     * Parses and checks {@code text} against {@code current} (the roster the batch would change; null
     * for a new authority). Every bad row is reported, not only the first.
     */
    public static Result check(final String text, final RosterAtEpoch current) {
        final Map<String, RosterEntry> rosteredDevices = new HashMap<>();
        final Map<String, RosterEntry> rosteredKeys = new HashMap<>();
        if (current != null) {
            for (final RosterEntry m : current.getMembers()) {
                rosteredDevices.put(m.getDeviceId(), m);
                rosteredKeys.put(m.getKeyId(), m);
            }
        }
        final List<Row> rows = new ArrayList<>();
        final List<Refusal> refusals = new ArrayList<>();
        final Map<String, Integer> deviceLines = new HashMap<>();
        final Map<String, Integer> keyLines = new HashMap<>();
        final String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            final int line = i + 1;
            final String raw = lines[i].strip();
            if (raw.isEmpty() || raw.startsWith("#") || (rows.isEmpty() && refusals.isEmpty() && raw.equalsIgnoreCase(HEADER))) {
                continue;
            }
            final String[] fields = raw.split(",", -1);
            if (fields.length != 2) {
                refusals.add(new Refusal(line, "MALFORMED_ROW", "expected 2 fields (" + HEADER + "), got " + fields.length));
                continue;
            }
            final String deviceId = fields[0].strip();
            final String keyHex = fields[1].strip();
            if (!DEVICE_ID.matcher(deviceId).matches()) {
                refusals.add(new Refusal(line, "INVALID_DEVICE_ID", "device id '" + deviceId + "' must be 1 to 128 characters of A-Z a-z 0-9 . _ -"));
                continue;
            }
            if (!HEX_KEY.matcher(keyHex).matches()) {
                refusals.add(new Refusal(line, "INVALID_PUBLIC_KEY", "the key of " + deviceId + " must be 64 hex digits (a 32-byte Ed25519 public key), got "
                        + keyHex.length() + " characters"));
                continue;
            }
            final byte[] key = HexFormat.of().parseHex(keyHex);
            final String keyId = Ed25519Keys.keyId(key);
            final Integer firstDevice = deviceLines.putIfAbsent(deviceId, line);
            if (firstDevice != null) {
                refusals.add(new Refusal(line, "DUPLICATE_DEVICE", "device " + deviceId + " is already listed on line " + firstDevice));
                continue;
            }
            final Integer firstKey = keyLines.putIfAbsent(keyId, line);
            if (firstKey != null) {
                refusals.add(new Refusal(line, "DUPLICATE_KEY", "the key of " + deviceId + " is already listed on line " + firstKey));
                continue;
            }
            if (rosteredDevices.containsKey(deviceId)) {
                refusals.add(new Refusal(line, "ALREADY_ENROLLED", "device " + deviceId + " is already on the roster of epoch " + current.getEpoch()));
                continue;
            }
            final RosterEntry holder = rosteredKeys.get(keyId);
            if (holder != null) {
                refusals.add(new Refusal(line, "KEY_IN_USE", "the key of " + deviceId + " already belongs to rostered device " + holder.getDeviceId()));
                continue;
            }
            rows.add(new Row(line, deviceId, key));
        }
        if (rows.isEmpty() && refusals.isEmpty()) {
            refusals.add(new Refusal(0, "EMPTY_MANIFEST", "the manifest lists no device"));
        }
        if (rows.size() > RosterBatches.MAX_ENTRIES) {
            refusals.add(new Refusal(rows.get(RosterBatches.MAX_ENTRIES).line(), "BATCH_TOO_LARGE",
                    "a manifest enrols at most " + RosterBatches.MAX_ENTRIES + " devices; split it from this line on"));
        }
        return refusals.isEmpty() ? new Result(List.copyOf(rows), List.of()) : new Result(List.of(), List.copyOf(refusals));
    }

    /** A batch an operator asked for: its statement when every part is good, else every refusal (statement null). */
    public record Batch(RosterBatchChange statement, List<Refusal> refusals) {
        public boolean accepted() {
            return refusals.isEmpty();
        }
    }

    /**
     * The whole batch an operator asks for against {@code current} (the roster of the authority's current epoch): the
     * manifest's devices to enrol (a blank manifest enrols none), {@code remove} to remove and an optional new threshold.
     * Every refusal is reported: manifest rows by line; removals, the threshold and the batch's size on line 0, each
     * naming what it is about ({@code remove[2]}).
     */
    public static Batch batch(final String authorityId, final RosterAtEpoch current, final String manifest, final List<String> remove,
                              final Integer newThreshold) {
        final List<Refusal> refusals = new ArrayList<>();
        final List<Row> rows = new ArrayList<>();
        if (manifest != null && !manifest.isBlank()) {
            final Result checked = check(manifest, current);
            rows.addAll(checked.rows());
            refusals.addAll(checked.refusals());
        }
        final Map<String, RosterEntry> rostered = new HashMap<>();
        for (final RosterEntry m : current.getMembers()) {
            rostered.put(m.getDeviceId(), m);
        }
        final Map<String, Integer> removedAt = new HashMap<>();
        for (int i = 0; i < remove.size(); i++) {
            final String deviceId = remove.get(i) == null ? "" : remove.get(i);
            final String at = "remove[" + i + "]: ";
            final Integer first = removedAt.putIfAbsent(deviceId, i);
            if (deviceId.isBlank()) {
                refusals.add(new Refusal(0, "INVALID_DEVICE_ID", at + "a device id must not be blank"));
            } else if (first != null) {
                refusals.add(new Refusal(0, "DUPLICATE_DEVICE", at + "device " + deviceId + " is already removed by remove[" + first + "]"));
            } else if (!rostered.containsKey(deviceId)) {
                refusals.add(new Refusal(0, "NOT_ENROLLED", at + "device " + deviceId + " is not on the roster of epoch " + current.getEpoch()));
            }
        }
        if (refusals.isEmpty() && rows.isEmpty() && remove.isEmpty()) {
            refusals.add(new Refusal(0, "EMPTY_BATCH", "the batch enrols and removes nothing: give a manifest of devices to enrol or devices to remove"));
        }
        final int entries = rows.size() + remove.size();
        if (entries > RosterBatches.MAX_ENTRIES) {
            refusals.add(new Refusal(0, "BATCH_TOO_LARGE", "the batch has " + entries + " entries (" + rows.size() + " enrolments, " + remove.size()
                    + " removals); at most " + RosterBatches.MAX_ENTRIES + " per batch: split it"));
        }
        final int members = current.getMembers().size() + rows.size() - removedAt.size();
        final int threshold = newThreshold != null ? newThreshold : current.getThreshold();
        if (refusals.isEmpty() && (threshold < 1 || threshold > members)) {
            refusals.add(new Refusal(0, "INVALID_THRESHOLD", "the threshold would be " + threshold + " with " + members
                    + " members after the batch; it must be from 1 to the member count" + (newThreshold == null ? ": give a new threshold" : "")));
        }
        if (!refusals.isEmpty()) {
            return new Batch(null, List.copyOf(refusals));
        }
        final RosterBatchChange statement = enrolment(authorityId, current.getEpoch(), rows, newThreshold);
        statement.setRemove(List.copyOf(remove));
        // The rules ingest and the reducer apply, as a last check: the refusals above are meant to cover all of them.
        final String problem = RosterBatches.problem(current, statement);
        if (problem != null) {
            return new Batch(null, List.of(new Refusal(0, problem.substring(0, Math.max(0, problem.indexOf(':'))), problem)));
        }
        return new Batch(statement, List.of());
    }

    /** The statement that enrols an accepted manifest's devices from {@code fromEpoch}; certify it with M keys of that epoch. */
    public static RosterBatchChange enrolment(final String authorityId, final long fromEpoch, final List<Row> rows, final Integer newThreshold) {
        final List<RosterMember> enrol = new ArrayList<>(rows.size());
        for (final Row row : rows) {
            enrol.add(new RosterMember(row.deviceId(), ByteBuffer.wrap(row.publicKey())));
        }
        return new RosterBatchChange(authorityId, fromEpoch, enrol, List.of(), newThreshold);
    }
}
