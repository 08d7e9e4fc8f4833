package io.factfleet.artifacts;

/**
 * What {@link ArtifactStore#put} stored: the values an operator puts into {@code UpgradeMetadata}
 * ({@code artifactSha256}, {@code artifactLength}).
 *
 * @param hash          the SHA-256 of the bytes
 * @param length        how many bytes
 * @param alreadyStored the store held these bytes before (the upload changed nothing)
 */
public record StoredArtifact(ArtifactHash hash, long length, boolean alreadyStored) {
}
