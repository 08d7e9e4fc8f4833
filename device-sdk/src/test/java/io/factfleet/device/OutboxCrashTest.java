package io.factfleet.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Facts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A device process killed with SIGKILL while enqueuing loses no fact whose enqueue had returned. */
class OutboxCrashTest {

    /** The child process: enqueue facts forever, announcing each one after enqueue returns. */
    public static void main(final String[] args) {
        final AuthorityGenesis authority = AuthorityGenesis.generate("crash-1", 1, 1);
        try (Outbox outbox = Outbox.open(Path.of(args[0]))) {
            for (int i = 0; ; i++) {
                final var fact = authority.device(0).journalEntry(0, ("k" + i).getBytes(), new byte[64]);
                outbox.enqueue(fact, i);
                System.out.println("ENQUEUED " + Facts.idHex(fact));
                System.out.flush();
            }
        }
    }

    @Test
    void everyFactWhoseEnqueueReturnedSurvivesAKill(@TempDir final Path dir) throws Exception {
        final Path db = dir.resolve("outbox.db");
        final String java = ProcessHandle.current().info().command().orElse("java");
        final Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), OutboxCrashTest.class.getName(), db.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final Set<String> announced = new HashSet<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (announced.size() < 200 && (line = out.readLine()) != null) {
                if (line.startsWith("ENQUEUED ")) {
                    announced.add(line.substring("ENQUEUED ".length()));
                }
            }
            child.destroyForcibly(); // SIGKILL, mid-stream
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(announced).hasSize(200);
        try (Outbox outbox = Outbox.open(db)) {
            final Set<String> pending = new HashSet<>();
            outbox.due(Long.MAX_VALUE, 100_000).forEach(p -> pending.add(p.factId()));
            assertThat(pending).containsAll(announced);
        }
    }
}
