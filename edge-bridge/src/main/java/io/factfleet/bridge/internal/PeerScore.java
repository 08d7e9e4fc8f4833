package io.factfleet.bridge.internal;

/**
 * A device's standing, used to order and shed work under load:
 * {@code score = 0.5 * trust + 0.3 * successRate + 0.2 * (1 - load)}, each term in [0, 1].
 *
 * @param trust       starts at 1; drops with rejected or malformed submissions and with authentication
 *                    failures the device's own signature proves it made; recovers slowly with good requests
 * @param successRate facts accepted (or already known) per fact submitted, an exponentially weighted average
 * @param load        the device's share of the bridge's recent requests (decaying counts)
 */
public record PeerScore(double trust, double successRate, double load) {
    public static final double TRUST_WEIGHT = 0.5;
    public static final double SUCCESS_WEIGHT = 0.3;
    public static final double LOAD_WEIGHT = 0.2;

    public double value() {
        return TRUST_WEIGHT * clamp(trust) + SUCCESS_WEIGHT * clamp(successRate) + LOAD_WEIGHT * (1 - clamp(load));
    }

    static double clamp(final double x) {
        return Math.max(0, Math.min(1, x));
    }
}
