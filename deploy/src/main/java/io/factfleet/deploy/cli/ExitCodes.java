package io.factfleet.deploy.cli;

/**
 * Exit codes of the operator commands ({@code factfleet state}, {@code factfleet lag}, ...), the same for every command so
 * scripts can rely on them.
 *
 * <table>
 * <caption>exit codes</caption>
 * <tr><td>0</td><td>done</td></tr>
 * <tr><td>1</td><td>unexpected failure (a bug or an answer that cannot be read)</td></tr>
 * <tr><td>2</td><td>bad usage: unknown option, missing or invalid argument (picocli's own code)</td></tr>
 * <tr><td>3</td><td>a service could not be reached (reducer, console, Kafka)</td></tr>
 * <tr><td>4</td><td>not found: no such authority</td></tr>
 * <tr><td>5</td><td>not ready: the service answered 503 (rebalancing, starting); retry</td></tr>
 * <tr><td>6</td><td>{@code --check} found a problem (for {@code lag}: a group not OK)</td></tr>
 * <tr><td>7</td><td>refused: the service or the archive said no, with a reason (a proposal already open, a tampered
 *     backup, an authority that already exists, an illegal rollout step)</td></tr>
 * <tr><td>8</td><td>did not complete: what was watched ended otherwise (a snapshot aborted, a rollout HALTED, a wait timed out)</td></tr>
 * <tr><td>9</td><td>cancelled: a watched rollout was CANCELLED</td></tr>
 * <tr><td>10</td><td>denied: the service did not accept the operator's credentials (401) or their roles (403); the message
 *     says why (README, Security)</td></tr>
 * </table>
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int UNREACHABLE = 3;
    public static final int NOT_FOUND = 4;
    public static final int NOT_READY = 5;
    public static final int CHECK_FAILED = 6;
    public static final int REFUSED = 7;
    public static final int DID_NOT_COMPLETE = 8;
    public static final int CANCELLED = 9;
    public static final int DENIED = 10;

    private ExitCodes() {
    }

    /** The footer every command's help shows. */
    public static final String[] HELP_FOOTER = {"", "Exit codes: 0 done, 1 unexpected failure, 2 bad usage, 3 service unreachable, "
            + "4 not found, 5 service not ready (503, retry), 6 --check found a problem, 7 refused, 8 did not complete, 9 cancelled, 10 denied (credentials or roles)."};
}
