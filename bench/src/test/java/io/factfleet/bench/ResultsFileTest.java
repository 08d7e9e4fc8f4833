package io.factfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsFileTest {
    @TempDir
    Path dir;

    @Test
    void mergeReplacesItsOwnKeysAndKeepsEveryOtherKey() throws Exception {
        final Path file = dir.resolve("results/latest.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"snapshot_complete_ms\": 812, \"ingest_fps\": 1, \"gc\": {\"reclaimed\": 0.9}}");

        final ObjectNode owned = ResultsFile.JSON.createObjectNode();
        owned.put("ingest_fps", 4000);
        owned.put("ingest_ratio", 0.6);
        ResultsFile.merge(file, owned);

        final ObjectNode merged = ResultsFile.read(file);
        assertThat(merged.path("snapshot_complete_ms").asInt()).isEqualTo(812);
        assertThat(merged.path("gc").path("reclaimed").asDouble()).isEqualTo(0.9);
        assertThat(merged.path("ingest_fps").asInt()).isEqualTo(4000);
        assertThat(merged.path("ingest_ratio").asDouble()).isEqualTo(0.6);
    }

    @Test
    void mergeCreatesTheFileWhenThereIsNone() {
        final Path file = dir.resolve("new/latest.json");
        final ObjectNode owned = ResultsFile.JSON.createObjectNode();
        owned.put("record_bytes", 200);
        ResultsFile.merge(file, owned);
        assertThat(ResultsFile.read(file).path("record_bytes").asInt()).isEqualTo(200);
    }
}
