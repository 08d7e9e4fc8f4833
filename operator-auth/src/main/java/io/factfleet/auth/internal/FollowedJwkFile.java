package io.factfleet.auth.internal;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JWKS file, re-read when it changes (checked at most every {@code checkEvery}), so an identity provider's signing
 * keys can be rotated without restarting the services; a file that no longer parses keeps the previous keys.
 * (A JWKS URL needs none of this: nimbus's {@code JWKSourceBuilder} caches and refreshes it.)
 */
public final class FollowedJwkFile implements JWKSource<SecurityContext> {
    private static final Logger LOG = LoggerFactory.getLogger(FollowedJwkFile.class);

    private final Path file;
    private final CheckThrottle throttle;
    private volatile JWKSet keys;
    private volatile FileTime loadedModified;
    private volatile long loadedSize;

    /**
     * @throws IOException    when the file cannot be read
     * @throws ParseException when it is not a JWKS
     */
    public FollowedJwkFile(final Path file, final Duration checkEvery, final LongSupplier clock) throws IOException, ParseException {
        this.file = file;
        this.throttle = new CheckThrottle(checkEvery, clock);
        this.loadedModified = Files.getLastModifiedTime(file);
        this.loadedSize = Files.size(file);
        this.keys = JWKSet.load(file.toFile());
    }

    @Override
    public List<JWK> get(final JWKSelector selector, final SecurityContext context) throws KeySourceException {
        throttle.runIfDue(this::reloadIfChanged);
        return selector.select(keys);
    }

    private void reloadIfChanged() {
        try {
            final FileTime modified = Files.getLastModifiedTime(file);
            final long size = Files.size(file);
            if (modified.equals(loadedModified) && size == loadedSize) {
                return;
            }
            keys = JWKSet.load(file.toFile());
            loadedModified = modified;
            loadedSize = size;
            LOG.info("JWKS file {} re-read: {} key(s)", file, keys.getKeys().size());
        } catch (final IOException | ParseException e) {
            LOG.error("Keeping the previous JWKS: {} cannot be read as a JWKS: {}", file, e.getMessage());
        }
    }
}
