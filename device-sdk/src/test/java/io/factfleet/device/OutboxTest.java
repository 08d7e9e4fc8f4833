package io.factfleet.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Facts;
import io.factfleet.schema.FactEnvelope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxTest {
    private final AuthorityGenesis authority = AuthorityGenesis.generate("outbox-1", 2, 1);

    private List<FactEnvelope> facts(final int n) {
        final List<FactEnvelope> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(authority.device(0).journalEntry(0, ("k" + i).getBytes(), new byte[] {(byte) i}));
        }
        return out;
    }

    @Test
    void pendingFactsComeOutInTheOrderTheyWentIn(@TempDir final Path dir) {
        try (Outbox outbox = Outbox.open(dir.resolve("outbox.db"))) {
            final List<FactEnvelope> facts = facts(5);
            facts.forEach(f -> outbox.enqueue(f, 1));
            assertThat(outbox.due(1, 10)).extracting(Outbox.PendingFact::factId)
                    .containsExactlyElementsOf(facts.stream().map(Facts::idHex).toList());
            assertThat(outbox.due(1, 10).get(0).fact()).isEqualTo(facts.get(0));
        }
    }

    @Test
    void enqueuingTheSameFactTwiceKeepsOneCopy(@TempDir final Path dir) {
        try (Outbox outbox = Outbox.open(dir.resolve("outbox.db"))) {
            final FactEnvelope fact = facts(1).get(0);
            outbox.enqueue(fact, 1);
            outbox.enqueue(fact, 2);
            assertThat(outbox.pendingCount()).isEqualTo(1);
        }
    }

    @Test
    void anAcknowledgedFactLeavesThePendingSetAndItsOutcomeIsKept(@TempDir final Path dir) {
        try (Outbox outbox = Outbox.open(dir.resolve("outbox.db"))) {
            final List<FactEnvelope> facts = facts(2);
            facts.forEach(f -> outbox.enqueue(f, 1));
            outbox.acknowledge(Facts.idHex(facts.get(0)), Outbox.Outcome.REJECTED, "BAD_SIGNATURE", "does not verify", 5);
            assertThat(outbox.pendingCount()).isEqualTo(1);
            assertThat(outbox.delivery(Facts.idHex(facts.get(0)))).hasValueSatisfying(d -> {
                assertThat(d.outcome()).isEqualTo(Outbox.Outcome.REJECTED);
                assertThat(d.reasonCode()).isEqualTo("BAD_SIGNATURE");
            });
            outbox.enqueue(facts.get(0), 6);
            assertThat(outbox.pendingCount()).as("a delivered fact is not enqueued again").isEqualTo(1);
        }
    }

    @Test
    void aFactRetriedLaterIsNotDueBeforeItsTime(@TempDir final Path dir) {
        try (Outbox outbox = Outbox.open(dir.resolve("outbox.db"))) {
            final FactEnvelope fact = facts(1).get(0);
            outbox.enqueue(fact, 1);
            outbox.retryAt(Facts.idHex(fact), 100);
            assertThat(outbox.due(99, 10)).isEmpty();
            assertThat(outbox.due(100, 10)).singleElement().satisfies(p -> assertThat(p.attempts()).isEqualTo(1));
        }
    }

    @Test
    void pendingFactsSurviveClosingAndReopening(@TempDir final Path dir) {
        final List<FactEnvelope> facts = facts(3);
        try (Outbox outbox = Outbox.open(dir.resolve("outbox.db"))) {
            facts.forEach(f -> outbox.enqueue(f, 1));
        }
        try (Outbox outbox = Outbox.open(dir.resolve("outbox.db"))) {
            assertThat(outbox.due(1, 10)).extracting(Outbox.PendingFact::fact).containsExactlyElementsOf(facts);
        }
    }
}
