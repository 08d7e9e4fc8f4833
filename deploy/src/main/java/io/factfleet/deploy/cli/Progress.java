package io.factfleet.deploy.cli;

import java.io.PrintWriter;
import java.time.Duration;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar for long operator commands (sampling lag, watching a rollout, a backup or a restore), drawn on the
 * command's error stream so that {@code --output json} on standard output stays clean. A thin wrapper of
 * me.tongfei:progressbar; close it (try-with-resources) to finish the line.
 *
 * <pre>{@code
 * try (Progress progress = Progress.start(err, "Sampling lag", samples)) {
 *     for (...) { ...; progress.step(); }
 * }
 * }</pre>
 */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private final PrintWriter err;
    private boolean closed;

    private Progress(final ProgressBar bar, final PrintWriter err) {
        this.bar = bar;
        this.err = err;
    }

    /** A bar of {@code max} steps named {@code task}, with their rate, redrawn at most every 200 ms. */
    public static Progress start(final PrintWriter err, final String task, final long max) {
        return start(err, task, max, true);
    }

    /**
     * A bar of {@code max} steps named {@code task}, redrawn at most every 200 ms; {@code showSpeed} false for steps
     * that are phases of one operation rather than units of work.
     */
    public static Progress start(final PrintWriter err, final String task, final long max, final boolean showSpeed) {
        final ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200).setMaxRenderedLength(100);
        if (showSpeed) {
            builder.showSpeed().setSpeedUnit(java.time.temporal.ChronoUnit.SECONDS);
        }
        return new Progress(builder.setConsumer(new DelegatingProgressBarConsumer(line -> {
            err.print('\r');
            err.print(line);
            err.flush();
        }, 100)).build(), err);
    }

    /** One step done. */
    public void step() {
        bar.step();
    }

    /** Sets how far it is (for progress measured rather than counted). */
    public void stepTo(final long done) {
        bar.stepTo(done);
    }

    /** Changes the total (a rollout whose device count became known). */
    public void maxHint(final long max) {
        bar.maxHint(max);
    }

    /** A note after the bar (the current wave, the current phase). */
    public void extraMessage(final String message) {
        bar.setExtraMessage(message);
    }

    /** How long it has run. */
    public Duration elapsed() {
        return bar.getTotalElapsed();
    }

    /** Draws the bar a last time; closing again does nothing. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            bar.close();
        }
    }

    /** Closes the bar and ends its line, so that what is printed next starts on a line of its own. */
    public void finish() {
        if (!closed) {
            close();
            err.println();
            err.flush();
        }
    }
}
