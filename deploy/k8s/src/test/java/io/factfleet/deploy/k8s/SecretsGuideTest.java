package io.factfleet.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Every Secret the pods read and nobody else makes is explained in deploy/k8s/README.md, with its keys. */
class SecretsGuideTest {
    @Test
    void theGuideNamesEverySecretAndKeyTheOperatorCreates() {
        final String guide = ManifestTree.read(ManifestTree.ROOT.resolve("README.md"));
        WorkloadChecks.OPERATOR_SECRETS.forEach((secret, keys) -> {
            assertThat(guide).as("README.md on Secret " + secret).contains(secret);
            keys.forEach(key -> assertThat(guide).as("README.md on key " + key + " of " + secret).contains(key));
        });
    }
}
