package io.factfleet.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileArtifactStoreTest {
    /** SHA-256 of "abc" (FIPS 180-2, appendix B.1). */
    private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @TempDir
    Path dir;

    private static byte[] random(final int n) {
        final byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    @Test
    void aPutIsStoredUnderItsSha256InTheTwoHexDigitLayout() throws IOException {
        final FileArtifactStore store = new FileArtifactStore(dir);

        final StoredArtifact stored = store.put(new ByteArrayInputStream("abc".getBytes(StandardCharsets.US_ASCII)));

        assertThat(stored).isEqualTo(new StoredArtifact(new ArtifactHash(ABC), 3, false));
        assertThat(dir.resolve("ba").resolve(ABC)).hasContent("abc");
        assertThat(store.stat(new ArtifactHash(ABC))).hasValue(3);
    }

    @Test
    void theSameBytesTwiceAreStoredOnce() throws IOException {
        final FileArtifactStore store = new FileArtifactStore(dir);
        final byte[] bytes = random(10_000);

        store.put(new ByteArrayInputStream(bytes));
        final StoredArtifact again = store.put(new ByteArrayInputStream(bytes));

        assertThat(again.alreadyStored()).isTrue();
        assertThat(again.length()).isEqualTo(10_000);
        assertThat(Files.list(dir.resolve("tmp"))).isEmpty();
    }

    @Test
    void aRangeReadsExactlyThoseBytes() throws IOException {
        final FileArtifactStore store = new FileArtifactStore(dir);
        final byte[] bytes = random(3 * 1024 * 1024 + 17);
        final ArtifactHash hash = store.put(new ByteArrayInputStream(bytes)).hash();

        try (InputStream in = store.open(hash, 1_000_000, 2_000_001)) {
            assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(bytes, 1_000_000, 3_000_001));
        }
        try (InputStream in = store.open(hash, bytes.length, 0)) {
            assertThat(in.readAllBytes()).isEmpty();
        }
    }

    @Test
    void aRangeOutsideTheArtifactIsRefused() throws IOException {
        final FileArtifactStore store = new FileArtifactStore(dir);
        final ArtifactHash hash = store.put(new ByteArrayInputStream(random(100))).hash();

        assertThatThrownBy(() -> store.open(hash, 50, 51)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100 bytes");
        assertThatThrownBy(() -> store.open(hash, -1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUnknownHashHasNoLengthAndCannotBeOpened() throws IOException {
        final FileArtifactStore store = new FileArtifactStore(dir);

        assertThat(store.stat(new ArtifactHash(ABC))).isEmpty();
        assertThatThrownBy(() -> store.open(new ArtifactHash(ABC), 0, 0)).isInstanceOf(NoSuchArtifactException.class).hasMessageContaining(ABC);
    }

    @Test
    void anArtifactAboveTheLimitIsRefusedAndLeavesNothingBehind() throws IOException {
        final FileArtifactStore store = new FileArtifactStore(dir, 4096);

        assertThatThrownBy(() -> store.put(new ByteArrayInputStream(random(4097))))
                .isInstanceOf(ArtifactTooLargeException.class).hasMessageContaining("4096 bytes");
        assertThat(store.put(new ByteArrayInputStream(random(4096))).length()).isEqualTo(4096);
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).toList()).hasSize(1);
        }
    }

    @Test
    void progressIsReportedUpToTheLength() throws IOException {
        final FileArtifactStore store = new FileArtifactStore(dir);
        final List<Long> seen = new ArrayList<>();

        store.put(new ByteArrayInputStream(random(9 * 1024 * 1024)), seen::add);

        assertThat(seen).isSorted().last().isEqualTo(9L * 1024 * 1024);
    }

    @Test
    void aHashIsSixtyFourHexDigitsAndParsingLowersTheCase() {
        assertThat(ArtifactHash.parse(ABC.toUpperCase(java.util.Locale.ROOT))).hasValue(new ArtifactHash(ABC));
        assertThat(ArtifactHash.parse("abc")).isEmpty();
        assertThat(ArtifactHash.parse(ABC + "0")).isEmpty();
        assertThat(ArtifactHash.parse("../" + ABC.substring(3))).isEmpty();
        assertThatThrownBy(() -> new ArtifactHash(ABC.toUpperCase(java.util.Locale.ROOT))).isInstanceOf(IllegalArgumentException.class);
    }
}
