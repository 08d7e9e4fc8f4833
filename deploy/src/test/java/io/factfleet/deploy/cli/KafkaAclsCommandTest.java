package io.factfleet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.deploy.StackMain;
import io.factfleet.testkit.KafkaCluster;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code factfleet kafka-acls}: the ACL list for review, and created on a secured cluster with --apply. */
class KafkaAclsCommandTest {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.of(KafkaCluster.builder().saslScramWithAcls());

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args) {
        final CommandLine cli = new CommandLine(new StackMain());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private static List<String> grants(final JsonNode acls, final String principal) {
        final List<String> out = new ArrayList<>();
        acls.path("acls").forEach(a -> {
            if (a.path("principal").asText().equals(principal)) {
                out.add(a.path("operation").asText() + " " + a.path("resourceType").asText() + " " + a.path("resource").asText());
            }
        });
        return out;
    }

    @Test
    void theReducerMayReadTheJournalButWriteNoFactTopic() throws Exception {
        assertThat(run("kafka-acls", "--output", "json", "--principal", "reducer=User:fleet-reducer")).isEqualTo(ExitCodes.OK);
        final JsonNode acls = new ObjectMapper().readTree(out.toString());
        assertThat(acls.path("applied").asBoolean()).isFalse();
        final List<String> reducer = grants(acls, "User:fleet-reducer");
        assertThat(reducer).contains("READ TOPIC factfleet.facts.journal", "READ GROUP factfleet-reducer", "ALL TOPIC factfleet-reducer-",
                "WRITE TRANSACTIONAL_ID factfleet-reducer-");
        assertThat(reducer).noneMatch(g -> g.startsWith("WRITE TOPIC factfleet.facts"));
        assertThat(grants(acls, "User:factfleet-edge-bridge")).containsExactly("WRITE TOPIC factfleet.facts.inbound");
    }

    @Test
    void anUnknownServiceIsAUsageError() {
        assertThat(run("kafka-acls", "--principal", "toaster=User:t")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("unknown service 'toaster'");
    }

    @Test
    void applyNeedsACluster() {
        assertThat(run("kafka-acls", "--apply")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--apply needs --bootstrap-servers");
    }

    @Test
    void applyCreatesEveryAclOnASecuredCluster(@TempDir final Path dir) throws Exception {
        final Path config = dir.resolve("admin.properties");
        final StringBuilder text = new StringBuilder();
        for (final Map.Entry<String, Object> e : KAFKA.cluster().clientProps().entrySet()) {
            if (!e.getKey().equals("bootstrap.servers")) {
                text.append(e.getKey()).append('=').append(e.getValue().toString().replace("\\", "\\\\")).append('\n');
            }
        }
        Files.writeString(config, text);
        assertThat(run("kafka-acls", "--apply", "--bootstrap-servers", KAFKA.bootstrapServers(), "--kafka-config", config.toString(),
                "--application-id", "ingest=site-ingest")).as(err.toString()).isEqualTo(ExitCodes.OK);
        try (Admin admin = KAFKA.cluster().admin()) {
            final List<AclBinding> created = new ArrayList<>(admin.describeAcls(AclBindingFilter.ANY).values().get());
            assertThat(created).anyMatch(a -> a.entry().principal().equals("User:factfleet-ingest")
                    && a.pattern().name().equals("site-ingest") && a.pattern().resourceType().name().equals("GROUP"));
            assertThat(created).anyMatch(a -> a.entry().principal().equals("User:factfleet-reducer")
                    && a.pattern().name().equals("factfleet.facts.journal"));
        }
        assertThat(out.toString()).contains("ACLs created on " + KAFKA.bootstrapServers());
    }
}
