package io.factfleet.deploy.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What every FactFleet workload must be, checked on a set of resources (the base as written, or an overlay as Kustomize
 * renders it): its shape (probes on /health, resource requests, a non-root and read-only container, a disruption budget,
 * a network policy, for a StatefulSet its headless Service and volume claims) and its settings, read with the service's
 * own configuration code ({@link FactFleetWorkload}).
 */
final class WorkloadChecks {
    /** The label every FactFleet resource carries; the network policies select by it. */
    static final String PART_OF = "app.kubernetes.io/part-of";
    static final String IMAGE_REGISTRY = "ghcr.io/factfleet/";
    /** The namespace the checks resolve {@code metadata.namespace} to. */
    static final String NAMESPACE = "ns";
    /** Where the init container puts the secret files, with mode 600, for the service to read. */
    static final String SECRET_FILES = "/var/run/factfleet/secrets";
    static final String SECRET_SOURCES = "/var/run/factfleet/secret-sources/";

    /** The Secrets an operator creates (deploy/k8s/README.md, "Secrets and keys"), with the keys the pods read. */
    static final Map<String, Set<String>> OPERATOR_SECRETS = Map.of(
            "factfleet-operators", Set.of("operators.json"),
            "factfleet-admin-keys", Set.of("admin-keys.properties"),
            "factfleet-service-keys", Set.of("console.key", "edge-bridge.key"),
            "factfleet-registry-logins", Set.of("ingest", "reducer", "snapshot-coordinator", "ota-coordinator", "edge-bridge"));
    /** The Secret Strimzi's Cluster Operator keeps the cluster CA's certificate in ({@code <cluster>-cluster-ca-cert}). */
    static final String CLUSTER_CA_SECRET = "factfleet-cluster-ca-cert";
    static final Set<String> CLUSTER_CA_KEYS = Set.of("ca.crt", "ca.p12", "ca.password");
    /** The keys of the Secret Strimzi's User Operator makes for each SCRAM-SHA-512 KafkaUser. */
    static final Set<String> KAFKA_USER_KEYS = Set.of("password", "sasl.jaas.config");
    /** Variables without the services' prefix that a container may set: the pod's identity, and the JVM's options. */
    static final Set<String> OTHER_VARIABLES = Set.of("POD_NAME", "POD_NAMESPACE", "JAVA_TOOL_OPTIONS");

    private static final Pattern VARIABLE_REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private final List<HasMetadata> resources;
    private final String version;
    private final List<String> problems = new ArrayList<>();

    private WorkloadChecks(final List<HasMetadata> resources, final String version) {
        this.resources = resources;
        this.version = version;
    }

    /**
     * @param resources every resource of the base or of a rendered overlay
     * @param version   the project version, the tag every image must have
     * @return one line per problem, naming the resource; empty when there is none
     */
    static List<String> problems(final List<HasMetadata> resources, final String version) {
        final WorkloadChecks checks = new WorkloadChecks(resources, version);
        checks.check();
        return checks.problems;
    }

    private void check() {
        for (final FactFleetWorkload w : FactFleetWorkload.values()) {
            final Class<? extends HasMetadata> kind = w.streamsApplication() ? StatefulSet.class : Deployment.class;
            if (ManifestTree.named(resources, kind, w.workloadName()).isEmpty()) {
                problems.add(w.workloadName() + ": no " + kind.getSimpleName() + " of that name (a Kafka Streams application is a StatefulSet, the other services Deployments)");
            }
        }
        for (final HasMetadata r : resources) {
            if (r instanceof Deployment || r instanceof StatefulSet) {
                workload(r);
            }
            if (r instanceof Service s) {
                service(s);
            }
            if (r instanceof io.fabric8.kubernetes.api.model.Secret) {
                problems.add(describe(r) + ": Secrets are not kept in this tree; the operator creates them (README, \"Secrets and keys\")");
            }
        }
    }

    private void workload(final HasMetadata workload) {
        final String name = describe(workload);
        final PodTemplateSpec template = workload instanceof StatefulSet s ? s.getSpec().getTemplate() : ((Deployment) workload).getSpec().getTemplate();
        final LabelSelector selector = workload instanceof StatefulSet s ? s.getSpec().getSelector() : ((Deployment) workload).getSpec().getSelector();
        final Integer replicas = workload instanceof StatefulSet s ? s.getSpec().getReplicas() : ((Deployment) workload).getSpec().getReplicas();
        final Map<String, String> podLabels = template.getMetadata().getLabels() == null ? Map.of() : template.getMetadata().getLabels();
        final PodSpec pod = template.getSpec();
        if (replicas == null || replicas < 1) {
            problems.add(name + ": replicas must be set, at least 1");
        }
        if (!"factfleet".equals(ManifestTree.labels(workload).get(PART_OF)) || !"factfleet".equals(podLabels.get(PART_OF))) {
            problems.add(name + ": it and its pods need the label " + PART_OF + "=factfleet (the network policies select by it)");
        }
        if (!selects(selector, podLabels)) {
            problems.add(name + ": its selector does not select its own pods");
        }
        podSpec(name, pod);
        final Optional<FactFleetWorkload> service = FactFleetWorkload.named(workload.getMetadata().getName());
        if (service.isEmpty()) {
            problems.add(name + ": not one of the FactFleet services");
            return;
        }
        final Optional<Container> main = pod.getContainers().stream().filter(c -> c.getName().equals(service.get().containerName())).findFirst();
        if (main.isEmpty() || pod.getContainers().size() != 1) {
            problems.add(name + ": one container, named " + service.get().containerName());
            return;
        }
        final List<PersistentVolumeClaim> claims = workload instanceof StatefulSet s && s.getSpec().getVolumeClaimTemplates() != null
                ? s.getSpec().getVolumeClaimTemplates() : List.of();
        if (workload instanceof StatefulSet s) {
            statefulSet(name, s, podLabels, main.get());
        }
        volumes(name, pod, claims);
        settings(name, service.get(), workload, pod, main.get(), claims);
        if (ManifestTree.ofKind(resources, PodDisruptionBudget.class).stream().noneMatch(b -> selects(b.getSpec().getSelector(), podLabels))) {
            problems.add(name + ": no PodDisruptionBudget selects its pods");
        }
        if (ManifestTree.ofKind(resources, NetworkPolicy.class).stream().noneMatch(p -> selects(p.getSpec().getPodSelector(), podLabels))) {
            problems.add(name + ": no NetworkPolicy selects its pods");
        }
    }

    private void podSpec(final String name, final PodSpec pod) {
        if (!Boolean.FALSE.equals(pod.getEnableServiceLinks())) {
            problems.add(name + ": enableServiceLinks must be false: Kubernetes would add FACTFLEET_*_SERVICE_HOST and _PORT variables, which the services read as properties");
        }
        if (!Boolean.FALSE.equals(pod.getAutomountServiceAccountToken())) {
            problems.add(name + ": automountServiceAccountToken must be false: no FactFleet service calls the Kubernetes API");
        }
        final PodSecurityContext security = pod.getSecurityContext();
        if (security == null || !Boolean.TRUE.equals(security.getRunAsNonRoot()) || security.getRunAsUser() == null || security.getRunAsUser() == 0
                || security.getFsGroup() == null || security.getSeccompProfile() == null || !"RuntimeDefault".equals(security.getSeccompProfile().getType())) {
            problems.add(name + ": the pod's securityContext needs runAsNonRoot, a non-zero runAsUser, an fsGroup (for its volumes) and seccompProfile RuntimeDefault");
        }
        final List<Container> all = new ArrayList<>(pod.getContainers());
        if (pod.getInitContainers() != null) {
            all.addAll(pod.getInitContainers());
        }
        for (final Container c : all) {
            final String container = name + " container " + c.getName();
            final SecurityContext sc = c.getSecurityContext();
            if (sc == null || !Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation()) || !Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())
                    || sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null || !sc.getCapabilities().getDrop().contains("ALL")) {
                problems.add(container + ": securityContext needs allowPrivilegeEscalation false, readOnlyRootFilesystem true and capabilities drop ALL");
            }
            if (sc != null && Boolean.FALSE.equals(sc.getRunAsNonRoot())) {
                problems.add(container + ": runs as root");
            }
            resources(container, c);
        }
        for (final Container c : pod.getContainers()) {
            final String container = name + " container " + c.getName();
            if (port(c, "http").isEmpty()) {
                problems.add(container + ": needs a container port named http");
            }
            probe(container, "readinessProbe", c.getReadinessProbe());
            probe(container, "livenessProbe", c.getLivenessProbe());
            probe(container, "startupProbe", c.getStartupProbe());
            if (!c.getImage().startsWith(IMAGE_REGISTRY) || !c.getImage().endsWith(":" + version)) {
                problems.add(container + ": image " + c.getImage() + " is not " + IMAGE_REGISTRY + "<service>:" + version);
            }
        }
    }

    private void resources(final String container, final Container c) {
        final Map<String, Quantity> requests = c.getResources() == null || c.getResources().getRequests() == null ? Map.of() : c.getResources().getRequests();
        final Map<String, Quantity> limits = c.getResources() == null || c.getResources().getLimits() == null ? Map.of() : c.getResources().getLimits();
        if (!requests.containsKey("cpu") || !requests.containsKey("memory")) {
            problems.add(container + ": needs cpu and memory requests");
            return;
        }
        // A memory limit: the JVM sizes its heap from it (MaxRAMPercentage), and without one from the node's memory.
        if (!limits.containsKey("memory")) {
            problems.add(container + ": needs a memory limit");
        } else if (Quantity.getAmountInBytes(limits.get("memory")).compareTo(Quantity.getAmountInBytes(requests.get("memory"))) < 0) {
            problems.add(container + ": its memory limit is below its request");
        }
    }

    private void probe(final String container, final String which, final Probe probe) {
        final HTTPGetAction get = probe == null ? null : probe.getHttpGet();
        if (get == null || !"/health".equals(get.getPath()) || get.getPort() == null || !"http".equals(String.valueOf(get.getPort().getValue()))) {
            problems.add(container + ": " + which + " must GET /health on the http port");
        }
    }

    private void statefulSet(final String name, final StatefulSet set, final Map<String, String> podLabels, final Container main) {
        final String serviceName = set.getSpec().getServiceName();
        final Optional<Service> headless = serviceName == null ? Optional.empty() : ManifestTree.named(resources, Service.class, serviceName);
        if (headless.isEmpty()) {
            problems.add(name + ": serviceName " + serviceName + " names no Service");
        } else {
            final Service s = headless.get();
            if (!"None".equals(s.getSpec().getClusterIP())) {
                problems.add(name + ": its Service " + serviceName + " must be headless (clusterIP: None), for per-pod DNS names");
            }
            if (!Boolean.TRUE.equals(s.getSpec().getPublishNotReadyAddresses())) {
                problems.add(name + ": its headless Service " + serviceName + " must publish not-ready addresses: instances reach each other while the group rebalances");
            }
            if (!selectsExactly(s.getSpec().getSelector(), podLabels)) {
                problems.add(name + ": its headless Service " + serviceName + " does not select its pods");
            }
        }
        if (set.getSpec().getVolumeClaimTemplates() == null || set.getSpec().getVolumeClaimTemplates().isEmpty()) {
            problems.add(name + ": needs volumeClaimTemplates (the state.dir of each instance)");
        }
        if (!"Parallel".equals(set.getSpec().getPodManagementPolicy())) {
            problems.add(name + ": podManagementPolicy Parallel: the instances of a Streams application need no start-up order");
        }
    }

    private void volumes(final String name, final PodSpec pod, final List<PersistentVolumeClaim> claims) {
        final Map<String, Volume> volumes = new LinkedHashMap<>();
        if (pod.getVolumes() != null) {
            pod.getVolumes().forEach(v -> volumes.put(v.getName(), v));
        }
        final Set<String> claimNames = new java.util.HashSet<>();
        claims.forEach(c -> claimNames.add(c.getMetadata().getName()));
        final List<Container> all = new ArrayList<>(pod.getContainers());
        if (pod.getInitContainers() != null) {
            all.addAll(pod.getInitContainers());
        }
        for (final Container c : all) {
            for (final VolumeMount m : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
                if (!volumes.containsKey(m.getName()) && !claimNames.contains(m.getName())) {
                    problems.add(name + " container " + c.getName() + ": mounts " + m.getName() + ", which is no volume of the pod");
                }
            }
        }
        for (final Volume v : volumes.values()) {
            if (v.getSecret() != null) {
                final Set<String> keys = knownSecretKeys(v.getSecret().getSecretName());
                if (keys == null) {
                    problems.add(name + ": volume " + v.getName() + " mounts Secret " + v.getSecret().getSecretName() + ", which nobody makes");
                } else if (v.getSecret().getItems() != null) {
                    for (final KeyToPath item : v.getSecret().getItems()) {
                        if (!keys.contains(item.getKey())) {
                            problems.add(name + ": volume " + v.getName() + " reads key " + item.getKey() + " of Secret " + v.getSecret().getSecretName() + ", which has " + keys);
                        }
                    }
                }
            }
        }
    }

    /** The keys a Secret has, if it is one the tree may refer to: the operator's, Strimzi's cluster CA, a KafkaUser's. */
    private Set<String> knownSecretKeys(final String secret) {
        if (OPERATOR_SECRETS.containsKey(secret)) {
            return OPERATOR_SECRETS.get(secret);
        }
        if (CLUSTER_CA_SECRET.equals(secret)) {
            return CLUSTER_CA_KEYS;
        }
        if (ManifestTree.named(resources, KafkaUser.class, secret).isPresent()) {
            return KAFKA_USER_KEYS;
        }
        return null;
    }

    private void settings(final String name, final FactFleetWorkload service, final HasMetadata workload, final PodSpec pod, final Container main,
                          final List<PersistentVolumeClaim> claims) {
        if (!main.getImage().startsWith(IMAGE_REGISTRY + service.imageName() + ":")) {
            problems.add(name + ": image " + main.getImage() + " is not the " + service.imageName() + " image");
        }
        final String podName = workload.getMetadata().getName() + "-0";
        final Map<String, String> environment = new LinkedHashMap<>();
        for (final EnvFromSource from : main.getEnvFrom() == null ? List.<EnvFromSource>of() : main.getEnvFrom()) {
            if (from.getConfigMapRef() == null) {
                problems.add(name + ": envFrom only from ConfigMaps");
                continue;
            }
            final Optional<ConfigMap> map = ManifestTree.named(resources, ConfigMap.class, from.getConfigMapRef().getName());
            if (map.isEmpty()) {
                problems.add(name + ": envFrom ConfigMap " + from.getConfigMapRef().getName() + ", which is not there");
            } else if (map.get().getData() != null) {
                environment.putAll(map.get().getData());
            }
        }
        final Map<String, String> secretRefs = new LinkedHashMap<>();
        for (final EnvVar v : main.getEnv() == null ? List.<EnvVar>of() : main.getEnv()) {
            environment.put(v.getName(), value(name, v, podName, environment, secretRefs));
        }
        for (final String variable : environment.keySet()) {
            if (variable.startsWith(service.environmentPrefix())) {
                final Optional<String> property = service.propertyOf(variable);
                if (property.isEmpty() || !service.readProperties().contains(property.get())) {
                    problems.add(name + ": " + variable + " sets " + property.orElse("nothing") + ", which " + service.containerName() + " does not read");
                }
            } else if (!OTHER_VARIABLES.contains(variable)) {
                problems.add(name + ": " + variable + " is not read by " + service.containerName() + " (its variables start with " + service.environmentPrefix() + ")");
            }
        }
        final Properties effective;
        final int httpPort;
        try {
            effective = service.properties(environment);
            httpPort = service.httpPort(effective);
        } catch (final RuntimeException e) {
            problems.add(name + ": " + service.containerName() + " refuses its settings: " + e.getMessage());
            return;
        }
        final Optional<ContainerPort> http = port(main, "http");
        if (http.isPresent() && http.get().getContainerPort() != httpPort) {
            problems.add(name + ": the http container port is " + http.get().getContainerPort() + " but the service listens on " + httpPort);
        }
        paths(name, pod, main, environment);
        // Which property each Secret's value lands in, as the service names it.
        final Map<String, String> secretOf = new LinkedHashMap<>();
        secretRefs.forEach((variable, ref) -> service.propertyOf(variable).ifPresent(p -> secretOf.put(p, ref)));
        kafkaCredentials(name, service, secretOf);
        if (service != FactFleetWorkload.SCHEMA_REGISTRY && service != FactFleetWorkload.CONSOLE) {
            final String login = secretOf.get("basic.auth.user.info");
            if (!("factfleet-registry-logins/" + service.containerName()).equals(login)) {
                problems.add(name + ": its registry login (basic.auth.user.info) must come from factfleet-registry-logins, key " + service.containerName() + "; got " + login);
            }
        }
        if (service.streamsApplication()) {
            streamsSettings(name, service, (StatefulSet) workload, effective, httpPort, claims, main);
        }
    }

    private void streamsSettings(final String name, final FactFleetWorkload service, final StatefulSet set, final Properties effective, final int httpPort,
                                 final List<PersistentVolumeClaim> claims, final Container main) {
        if (!"1".equals(effective.getProperty("num.standby.replicas"))) {
            problems.add(name + ": num.standby.replicas must be 1 (a warm copy of each store on another instance), is " + effective.getProperty("num.standby.replicas"));
        }
        final String applicationId = effective.getProperty("application.id", service.service().defaultApplicationId());
        if (!service.service().defaultApplicationId().equals(applicationId)) {
            problems.add(name + ": application.id " + applicationId + " is not " + service.service().defaultApplicationId() + ", which its KafkaUser's ACLs are for");
        }
        final String stateDir = effective.getProperty("state.dir");
        final boolean onClaim = stateDir != null && main.getVolumeMounts().stream()
                .anyMatch(m -> m.getMountPath().equals(stateDir) && claims.stream().anyMatch(c -> c.getMetadata().getName().equals(m.getName())));
        if (!onClaim) {
            problems.add(name + ": state.dir " + stateDir + " is not the mount of a volumeClaimTemplate");
        }
        final String server = effective.getProperty("application.server");
        if (service.advertisesApplicationServer()) {
            final String expected = set.getMetadata().getName() + "-0." + set.getSpec().getServiceName() + "." + NAMESPACE + ".svc:" + httpPort;
            if (!expected.equals(server)) {
                problems.add(name + ": application.server of its pod 0 is " + server + ", expected " + expected + " (the pod's name under its headless Service, the HTTP port)");
            }
        } else if (server != null) {
            problems.add(name + ": sets application.server, which " + service.containerName() + " does not advertise");
        }
    }

    /** The Kafka login: the JAAS config from the Secret of the service's own KafkaUser, whose ACLs are the service's. */
    private void kafkaCredentials(final String name, final FactFleetWorkload service, final Map<String, String> secretOf) {
        final String jaas = secretOf.get(service == FactFleetWorkload.SCHEMA_REGISTRY ? "kafkastore.sasl.jaas.config" : "sasl.jaas.config");
        if (!(service.kafkaUser() + "/sasl.jaas.config").equals(jaas)) {
            problems.add(name + ": its sasl.jaas.config must come from the Secret of KafkaUser " + service.kafkaUser() + "; got " + jaas);
        }
        if (ManifestTree.named(resources, KafkaUser.class, service.kafkaUser()).isEmpty()) {
            problems.add(name + ": no KafkaUser " + service.kafkaUser());
        }
    }

    /** Every absolute path a variable names lies in a volume of the container, and a secret file is one the init container copies. */
    private void paths(final String name, final PodSpec pod, final Container main, final Map<String, String> environment) {
        final Set<String> copied = new java.util.TreeSet<>();
        for (final Container init : pod.getInitContainers() == null ? List.<Container>of() : pod.getInitContainers()) {
            for (final VolumeMount m : init.getVolumeMounts()) {
                if (!m.getMountPath().startsWith(SECRET_SOURCES)) {
                    continue;
                }
                pod.getVolumes().stream().filter(v -> v.getName().equals(m.getName()) && v.getSecret() != null).findFirst().ifPresent(v -> {
                    if (v.getSecret().getItems() != null && !v.getSecret().getItems().isEmpty()) {
                        v.getSecret().getItems().forEach(i -> copied.add(i.getPath()));
                    } else {
                        Optional.ofNullable(knownSecretKeys(v.getSecret().getSecretName())).ifPresent(copied::addAll);
                    }
                });
            }
        }
        environment.forEach((variable, value) -> {
            if (!value.startsWith("/") || variable.equals("JAVA_TOOL_OPTIONS")) {
                return;
            }
            final boolean mounted = main.getVolumeMounts().stream().anyMatch(m -> value.startsWith(m.getMountPath() + "/") || value.equals(m.getMountPath()));
            if (!mounted) {
                problems.add(name + ": " + variable + " names " + value + ", which is in no volume of the container");
            }
            if (value.startsWith(SECRET_FILES + "/") && !copied.contains(value.substring(SECRET_FILES.length() + 1))) {
                problems.add(name + ": " + variable + " names " + value + ", which the init container does not copy from any Secret it mounts");
            }
        });
    }

    /** The value Kubernetes gives {@code v} in pod 0 ({@code $(VAR)} expanded from the variables before it); a Secret's value is {@code <secret>/<key>}. */
    private String value(final String name, final EnvVar v, final String podName, final Map<String, String> before, final Map<String, String> secretRefs) {
        if (v.getValueFrom() == null) {
            final Matcher m = VARIABLE_REFERENCE.matcher(v.getValue() == null ? "" : v.getValue());
            final StringBuilder expanded = new StringBuilder();
            while (m.find()) {
                final String referenced = before.get(m.group(1));
                if (referenced == null) {
                    problems.add(name + ": " + v.getName() + " refers to $(" + m.group(1) + "), which is not set before it");
                }
                m.appendReplacement(expanded, Matcher.quoteReplacement(referenced == null ? m.group() : referenced));
            }
            m.appendTail(expanded);
            return expanded.toString();
        }
        final var from = v.getValueFrom();
        if (from.getFieldRef() != null) {
            return switch (from.getFieldRef().getFieldPath()) {
                case "metadata.name" -> podName;
                case "metadata.namespace" -> NAMESPACE;
                default -> {
                    problems.add(name + ": " + v.getName() + " takes an unexpected field " + from.getFieldRef().getFieldPath());
                    yield "";
                }
            };
        }
        if (from.getConfigMapKeyRef() != null) {
            final Optional<ConfigMap> map = ManifestTree.named(resources, ConfigMap.class, from.getConfigMapKeyRef().getName());
            final String value = map.map(ConfigMap::getData).map(d -> d.get(from.getConfigMapKeyRef().getKey())).orElse(null);
            if (value == null) {
                problems.add(name + ": " + v.getName() + " takes key " + from.getConfigMapKeyRef().getKey() + " of ConfigMap " + from.getConfigMapKeyRef().getName() + ", which is not there");
                return "";
            }
            return value;
        }
        if (from.getSecretKeyRef() != null) {
            final String secret = from.getSecretKeyRef().getName();
            final Set<String> keys = knownSecretKeys(secret);
            if (keys == null || !keys.contains(from.getSecretKeyRef().getKey())) {
                problems.add(name + ": " + v.getName() + " takes key " + from.getSecretKeyRef().getKey() + " of Secret " + secret + ", which nobody makes");
            }
            secretRefs.put(v.getName(), secret + "/" + from.getSecretKeyRef().getKey());
            return secret + "/" + from.getSecretKeyRef().getKey();
        }
        problems.add(name + ": " + v.getName() + " takes its value from an unexpected source");
        return "";
    }

    private void service(final Service service) {
        final Map<String, String> selector = service.getSpec().getSelector();
        final List<HasMetadata> pods = resources.stream().filter(r -> r instanceof Deployment || r instanceof StatefulSet)
                .filter(r -> selectsExactly(selector, template(r).getMetadata().getLabels())).toList();
        if (pods.isEmpty()) {
            problems.add(describe(service) + ": selects no workload's pods");
            return;
        }
        for (final ServicePort p : service.getSpec().getPorts()) {
            final Object target = p.getTargetPort() == null ? null : p.getTargetPort().getValue();
            for (final HasMetadata w : pods) {
                final boolean found = template(w).getSpec().getContainers().stream().anyMatch(c -> port(c, String.valueOf(target)).isPresent());
                if (!found) {
                    problems.add(describe(service) + ": targetPort " + target + " is no named container port of " + w.getMetadata().getName());
                }
            }
        }
    }

    private static PodTemplateSpec template(final HasMetadata workload) {
        return workload instanceof StatefulSet s ? s.getSpec().getTemplate() : ((Deployment) workload).getSpec().getTemplate();
    }

    private static Optional<ContainerPort> port(final Container c, final String name) {
        return c.getPorts() == null ? Optional.empty() : c.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst();
    }

    /** Whether a label selector (matchLabels only, as this tree writes them) selects pods with {@code labels}. */
    private static boolean selects(final LabelSelector selector, final Map<String, String> labels) {
        if (selector == null || (selector.getMatchExpressions() != null && !selector.getMatchExpressions().isEmpty())) {
            return false;
        }
        return selectsExactly(selector.getMatchLabels(), labels);
    }

    private static boolean selectsExactly(final Map<String, String> matchLabels, final Map<String, String> labels) {
        if (matchLabels == null || matchLabels.isEmpty() || labels == null) {
            return false;
        }
        return matchLabels.entrySet().stream().allMatch(e -> Objects.equals(labels.get(e.getKey()), e.getValue()));
    }

    private static String describe(final HasMetadata r) {
        return r.getKind() + " " + r.getMetadata().getName();
    }
}
