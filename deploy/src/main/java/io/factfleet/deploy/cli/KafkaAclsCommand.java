package io.factfleet.deploy.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.contracts.ServiceAcls;
import io.factfleet.contracts.ServiceAcls.Service;
import io.factfleet.contracts.ServiceProperties;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.SecurityDisabledException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code factfleet kafka-acls}: the Kafka ACLs every FactFleet service needs ({@link ServiceAcls}),
 * printed for review or, with {@code --apply}, created on a cluster through the Admin API.
 */
@Command(name = "kafka-acls", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Print (or with --apply, create) the Kafka ACLs each FactFleet service needs and nothing more: the topics it reads "
                + "and writes, and its Streams app's group, internal topics and transactional ids.",
                "Each service should run as its own principal (for example a SCRAM user per service)."},
        footer = {"", "Exit codes: 0 done, 1 unexpected failure, 2 bad usage, 3 Kafka unreachable, 7 refused (the cluster has no authorizer, "
                + "or the admin principal may not create ACLs)."})
public final class KafkaAclsCommand implements Callable<Integer> {
    @Option(names = "--principal", paramLabel = "SERVICE=PRINCIPAL",
            description = "A service's Kafka principal, e.g. reducer=User:fleet-reducer (default: User:factfleet-<service>). "
                    + "Services: registry, ingest, reducer, snapshot-coordinator, ota-coordinator, edge-bridge, console.")
    Map<String, String> principals = Map.of();

    @Option(names = "--application-id", paramLabel = "SERVICE=ID",
            description = "A Streams service's application.id when it is not the default (ingest, reducer, snapshot-coordinator, ota-coordinator).")
    Map<String, String> applicationIds = Map.of();

    @Option(names = "--apply", description = "Create the ACLs on the cluster (needs --bootstrap-servers and an admin principal).")
    boolean apply;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]", description = "The cluster to create the ACLs on.")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE", description = "Kafka client properties of the admin principal (security settings).")
    Path kafkaConfig;

    @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "FORMAT", description = "text or json (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Map<Service, String> principalOf = new EnumMap<>(Service.class);
        for (final Service service : Service.values()) {
            principalOf.put(service, "User:factfleet-" + name(service));
        }
        principals.forEach((name, principal) -> principalOf.put(service(name), principal));
        final Map<Service, String> applicationIdOf = new EnumMap<>(Service.class);
        applicationIds.forEach((name, id) -> applicationIdOf.put(service(name), id));
        final List<AclBinding> acls = new ArrayList<>();
        for (final Service service : Service.values()) {
            acls.addAll(ServiceAcls.of(service, principalOf.get(service), applicationIdOf.getOrDefault(service, service.defaultApplicationId())));
        }
        if (apply) {
            if (bootstrapServers == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--apply needs --bootstrap-servers");
            }
            final Properties props = ServiceProperties.load(Map.of(), kafkaConfig, Map.of(), Map.of("bootstrap.servers", bootstrapServers));
            try (Admin admin = Admin.create(props)) {
                admin.createAcls(acls).all().get();
            } catch (final ExecutionException e) {
                if (e.getCause() instanceof SecurityDisabledException) {
                    err.println("factfleet kafka-acls: the cluster has no authorizer (authorizer.class.name): " + e.getCause().getMessage());
                    return ExitCodes.REFUSED;
                }
                if (e.getCause() instanceof org.apache.kafka.common.errors.ClusterAuthorizationException) {
                    err.println("factfleet kafka-acls: the admin principal may not create ACLs (it needs ALTER on the cluster): " + e.getCause().getMessage());
                    return ExitCodes.REFUSED;
                }
                err.println("factfleet kafka-acls: Kafka at " + bootstrapServers + " did not create the ACLs: " + e.getCause());
                return ExitCodes.UNREACHABLE;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCodes.FAILURE;
            }
        }
        if (output == OutputFormat.json) {
            final ObjectMapper json = new ObjectMapper();
            final ObjectNode root = json.createObjectNode();
            root.put("applied", apply);
            final ArrayNode list = root.putArray("acls");
            for (final AclBinding acl : acls) {
                final ObjectNode a = list.addObject();
                a.put("principal", acl.entry().principal());
                a.put("resourceType", acl.pattern().resourceType().name());
                a.put("patternType", acl.pattern().patternType().name());
                a.put("resource", acl.pattern().name());
                a.put("operation", acl.entry().operation().name());
                a.put("permission", acl.entry().permissionType().name());
            }
            out.println(root.toPrettyString());
        } else {
            out.printf("%-36s %-16s %-9s %-40s %s%n", "PRINCIPAL", "RESOURCE TYPE", "PATTERN", "RESOURCE", "OPERATION");
            for (final AclBinding acl : acls) {
                out.printf("%-36s %-16s %-9s %-40s %s%n", acl.entry().principal(), acl.pattern().resourceType(), acl.pattern().patternType(),
                        acl.pattern().name(), acl.entry().operation());
            }
            out.println(apply ? acls.size() + " ACLs created on " + bootstrapServers : acls.size() + " ACLs (not applied; --apply creates them)");
        }
        out.flush();
        return ExitCodes.OK;
    }

    private Service service(final String name) {
        try {
            return Service.valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown service '" + name + "'; one of registry, ingest, reducer, "
                    + "snapshot-coordinator, ota-coordinator, edge-bridge, console");
        }
    }

    private static String name(final Service service) {
        return service.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
