package io.factfleet.console;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The rollout page's data: per authority and upgrade, wave by wave, ready / not-ready / rejected / silent devices
 * versus the wave's thresholds. The JSON of {@code GET /api/rollouts}.
 *
 * @param source "ota-coordinator" (waves as the coordinator runs them) or "reducer" (one overall row per upgrade, from
 *               the reducer state's {@code upgrades} and {@code readiness}), or "none"
 */
public record RolloutReport(long generatedAtMillis, String source, List<AuthorityUpgrade> upgrades, String error) {

    /** One upgrade of one authority. */
    public record AuthorityUpgrade(String authorityId, Upgrade upgrade) {
    }

    /** An element of the ota-coordinator's {@code GET /authorities/{id}/upgrades}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Upgrade(String proposalId, String packageId, Long version, String kind, String state, Boolean activated,
                          Long activationFence, List<Wave> waves, List<Step> steps) {
        public Upgrade {
            waves = waves == null ? List.of() : List.copyOf(waves);
            steps = steps == null ? List.of() : List.copyOf(steps);
        }
    }

    /** A rollout step as recorded in the signed facts: what, which wave, who took it (null: the coordinator), and whether it applied. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Step(String action, int waveIndex, String operator, String reason, boolean applied, String problem, long issuedAtMillis) {
    }

    /** A rollout wave and its thresholds (null where the wave has none). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Wave(int index, String name, String state, int devices, int ready, int notReady, int rejected, int silent,
                       Double successThresholdPercent, Integer errorThresholdCount, Double errorThresholdPercent) {

        /** Share of the wave's devices that are ready, in percent (0 for an empty wave). */
        public double readyPercent() {
            return devices == 0 ? 0 : ready * 100.0 / devices;
        }

        /** Whether the ready share reached the success threshold. */
        public boolean successReached() {
            return successThresholdPercent != null && devices > 0 && readyPercent() >= successThresholdPercent;
        }

        /** Whether rejections reached an error threshold (by count or by share). */
        public boolean errorReached() {
            return (errorThresholdCount != null && rejected >= errorThresholdCount)
                    || (errorThresholdPercent != null && devices > 0 && rejected * 100.0 / devices >= errorThresholdPercent);
        }
    }
}
