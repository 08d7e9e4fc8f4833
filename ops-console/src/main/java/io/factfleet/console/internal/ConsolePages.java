package io.factfleet.console.internal;

import io.factfleet.console.FleetReport;
import io.factfleet.console.LagReport;
import io.factfleet.console.LagStatus;
import io.factfleet.console.RolloutReport;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Server-rendered HTML of the console's pages. Each page is a shell ({@link #page}) around a fragment; the shell's
 * script polls the page's {@code /api/...} JSON, whose {@code html} field is the same fragment rendered from fresh data,
 * and swaps it in. No CDN, no build step: sparklines are inline SVG.
 *
 * <p>Rows carry {@code data-*} attributes (group, topic, partition, lag, status; authority; wave counts) so that tests
 * and scripts can read a page without parsing its text.
 */
public final class ConsolePages {
    private static final String STYLE = """
            body{font:14px system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
            nav{background:#1d2430;color:#fff;padding:10px 16px}nav a{color:#9cd1ff;margin-left:14px;text-decoration:none}
            nav a.here{color:#fff;font-weight:bold}main{padding:8px 16px}h2{font-size:16px;margin:18px 0 6px}
            table{border-collapse:collapse;background:#fff;margin-bottom:8px}th,td{border:1px solid #d8dce3;padding:3px 8px;text-align:right}
            th{background:#eef0f4}td.l,th.l{text-align:left}.s{font-weight:bold;border-radius:3px;padding:1px 6px;color:#fff}
            .OK{background:#2e7d32}.WARN{background:#ef8d00}.STALL{background:#c62828}.STOP{background:#6a1b9a}.ERROR{background:#000}
            .FENCED{background:#c62828}.OPEN{background:#2e7d32}.meta{color:#5b6472}.err{color:#c62828}footer{color:#5b6472;padding:4px 16px}
            """;

    private ConsolePages() {
    }

    /** A whole page: navigation, the fragment, and the script that refreshes it from {@code api} every {@code refreshMillis}. */
    public static String page(final String title, final String path, final String api, final long refreshMillis, final String fragment) {
        final StringBuilder b = new StringBuilder(4096 + fragment.length());
        b.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>FactFleet · ").append(esc(title))
                .append("</title><style>").append(STYLE).append("</style></head><body><nav><b>FactFleet console</b>");
        for (final String[] link : new String[][] {{"/lag", "Lag"}, {"/fleet", "Fleet"}, {"/rollouts", "Rollouts"}}) {
            b.append("<a href=\"").append(link[0]).append('"').append(link[0].equals(path) ? " class=\"here\"" : "").append('>')
                    .append(link[1]).append("</a>");
        }
        b.append("<a href=\"/metrics\">Metrics</a></nav><main id=\"content\">").append(fragment)
                .append("</main><footer id=\"updated\">rendered by the server; refreshing every ").append(refreshMillis).append(" ms</footer>");
        b.append("<script>(function(){var busy=false;function tick(){if(busy)return;busy=true;fetch('").append(api)
                .append("',{cache:'no-store'}).then(function(r){return r.json();}).then(function(d){document.getElementById('content').innerHTML=d.html;")
                .append("document.getElementById('updated').textContent='updated '+new Date().toLocaleTimeString();})")
                .append(".catch(function(e){document.getElementById('updated').textContent='refresh failed: '+e;})")
                .append(".then(function(){busy=false;});}setInterval(tick,").append(refreshMillis).append(");})();</script></body></html>");
        return b.toString();
    }

    /** The lag page's fragment. */
    public static String lag(final LagReport report) {
        final StringBuilder b = new StringBuilder();
        b.append("<p class=\"meta\">").append(report.generatedAtMillis() == 0 ? "no sample yet" : "sampled " + Instant.ofEpochMilli(report.generatedAtMillis()))
                .append(" · every ").append(report.sampleIntervalMs()).append(" ms · window ").append(report.windowMs() / 1000).append(" s · ")
                .append(report.groups().size()).append(" group(s)</p>");
        if (report.error() != null) {
            b.append("<p class=\"err\">").append(esc(report.error())).append("</p>");
        }
        for (final LagReport.GroupLag g : report.groups()) {
            b.append("<h2 class=\"group\" data-group=\"").append(esc(g.groupId())).append("\" data-status=\"").append(g.status()).append("\">")
                    .append(esc(g.groupId())).append(' ').append(badge(g.status())).append(" <span class=\"meta\">").append(esc(g.state()))
                    .append(", ").append(g.members()).append(" member(s), lag ").append(g.totalLag()).append(", time lag ")
                    .append(duration(g.maxTimeLagMillis())).append("</span></h2>");
            if (g.topics().isEmpty()) {
                b.append("<p class=\"meta\">no committed offsets</p>");
                continue;
            }
            b.append("<table><tr><th class=\"l\">topic</th><th>partition</th><th>committed</th><th>log start</th><th>log end</th><th>lag</th>"
                    + "<th>time lag</th><th>trend/s</th><th>drain</th><th class=\"l\">lag over window</th><th class=\"l\">status</th></tr>");
            for (final LagReport.TopicLag t : g.topics()) {
                for (final LagReport.PartitionLag p : t.partitions()) {
                    b.append("<tr class=\"partition\" data-group=\"").append(esc(g.groupId())).append("\" data-topic=\"").append(esc(t.topic()))
                            .append("\" data-partition=\"").append(p.partition()).append("\" data-committed=\"").append(p.committedOffset())
                            .append("\" data-log-end=\"").append(p.logEndOffset()).append("\" data-lag=\"").append(p.lag())
                            .append("\" data-status=\"").append(p.status()).append("\">")
                            .append("<td class=\"l\">").append(esc(t.topic())).append("</td><td>").append(p.partition()).append("</td><td>")
                            .append(p.committedOffset()).append("</td><td>").append(p.logStartOffset()).append("</td><td>").append(p.logEndOffset())
                            .append("</td><td>").append(p.lag()).append("</td><td>").append(duration(p.timeLagMillis())).append("</td><td>")
                            .append(String.format(Locale.ROOT, "%+.1f", p.lagTrendPerSecond())).append("</td><td>")
                            .append(p.drainSeconds() == null ? "never at this rate" : duration(Math.round(p.drainSeconds() * 1000)))
                            .append("</td><td class=\"l\">").append(sparkline(p.lagHistory())).append("</td><td class=\"l\" title=\"")
                            .append(esc(p.reason())).append("\">").append(badge(p.status())).append(" <span class=\"meta\">").append(esc(p.reason()))
                            .append("</span></td></tr>");
                }
            }
            b.append("</table>");
        }
        return b.toString();
    }

    /** The fleet page's fragment. */
    public static String fleet(final FleetReport report) {
        final StringBuilder b = new StringBuilder();
        b.append("<p class=\"meta\">reducer ").append(report.reducerUrl() == null ? "not configured" : esc(report.reducerUrl()))
                .append(" · snapshot-coordinator ").append(report.snapshotUrl() == null ? "not configured (fence inferred from open proposals)"
                        : esc(report.snapshotUrl())).append(" · ").append(report.authorities().size()).append(" authorit")
                .append(report.authorities().size() == 1 ? "y" : "ies").append("</p>");
        if (report.error() != null) {
            b.append("<p class=\"err\">").append(esc(report.error())).append("</p>");
        }
        b.append("<table><tr><th class=\"l\">authority</th><th>identity epoch</th><th>snapshot epoch</th><th>devices</th><th>threshold</th>"
                + "<th>facts</th><th class=\"l\">open proposals (approvals / threshold)</th><th class=\"l\">fence</th><th class=\"l\">snapshot-coordinator</th></tr>");
        for (final FleetReport.AuthorityRow a : report.authorities()) {
            b.append("<tr class=\"authority\" data-authority=\"").append(esc(a.authorityId())).append("\" data-identity-epoch=\"").append(a.identityEpoch())
                    .append("\" data-snapshot-epoch=\"").append(a.snapshotEpoch()).append("\" data-fence=\"").append(esc(a.fence())).append("\">")
                    .append("<td class=\"l\">").append(esc(a.authorityId())).append("</td><td>").append(a.identityEpoch()).append("</td><td>")
                    .append(a.snapshotEpoch() < 0 ? "none" : Long.toString(a.snapshotEpoch())).append("</td><td>").append(a.devices()).append("</td><td>").append(a.threshold()).append("</td><td>")
                    .append(a.factCount()).append("</td><td class=\"l\">");
            if (a.openProposals().isEmpty()) {
                b.append("<span class=\"meta\">none</span>");
            }
            for (final FleetReport.Proposal p : a.openProposals()) {
                b.append("<div class=\"proposal\" data-proposal=\"").append(esc(p.proposalId())).append("\" data-approvals=\"").append(p.approvals())
                        .append("\" data-threshold=\"").append(p.threshold()).append("\">").append(esc(p.proposalId())).append(" → epoch ")
                        .append(p.targetEpoch()).append(": <b>").append(p.approvals()).append(" / ").append(p.threshold()).append("</b>");
                p.problems().forEach(problem -> b.append("<br><span class=\"meta\">").append(esc(problem)).append("</span>"));
                b.append("</div>");
            }
            b.append("</td><td class=\"l\"><span class=\"s ").append(esc(a.fence())).append("\">").append(esc(a.fence())).append("</span> <span class=\"meta\">")
                    .append(esc(a.fenceSource())).append("</span></td><td class=\"l\">");
            final FleetReport.SnapshotStatus s = a.coordinator();
            if (s != null) {
                b.append("last snapshot epoch ").append(s.lastSnapshotEpoch()).append(", held facts ").append(s.heldFacts()).append(", pruned ")
                        .append(s.factsPruned()).append(", reclaimed ").append(bytes(s.bytesReclaimed()));
                if (s.openProposal() != null) {
                    b.append(", proposal ").append(esc(s.openProposal().proposalId())).append(' ').append(s.openProposal().approvals()).append(" / ")
                            .append(s.openProposal().threshold());
                }
            }
            if (a.error() != null) {
                b.append("<span class=\"err\">").append(esc(a.error())).append("</span>");
            }
            b.append("</td></tr>");
        }
        return b.append("</table>").toString();
    }

    /** The rollout page's fragment. */
    public static String rollouts(final RolloutReport report) {
        final StringBuilder b = new StringBuilder();
        b.append("<p class=\"meta\">source: ").append(esc(report.source())).append(" · ").append(report.upgrades().size()).append(" upgrade(s)</p>");
        if (report.error() != null) {
            b.append("<p class=\"err\">").append(esc(report.error())).append("</p>");
        }
        for (final RolloutReport.AuthorityUpgrade au : report.upgrades()) {
            final RolloutReport.Upgrade u = au.upgrade();
            b.append("<h2 class=\"upgrade\" data-authority=\"").append(esc(au.authorityId())).append("\" data-proposal=\"").append(esc(u.proposalId()))
                    .append("\">").append(esc(au.authorityId())).append(": ").append(esc(u.packageId())).append(' ').append(u.version())
                    .append(" <span class=\"meta\">").append(esc(u.kind())).append(", ").append(esc(u.state()))
                    .append(Boolean.TRUE.equals(u.activated()) ? ", activated" : "")
                    .append(u.activationFence() == null ? "" : ", fence epoch " + u.activationFence()).append(" · proposal ")
                    .append(esc(u.proposalId())).append("</span></h2>");
            b.append("<table><tr><th>wave</th><th class=\"l\">name</th><th class=\"l\">state</th><th>devices</th><th>ready</th><th>not ready</th>"
                    + "<th>rejected</th><th>silent</th><th>ready %</th><th>success threshold</th><th>error threshold</th></tr>");
            for (final RolloutReport.Wave w : u.waves()) {
                b.append("<tr class=\"wave\" data-wave=\"").append(w.index()).append("\" data-ready=\"").append(w.ready()).append("\" data-not-ready=\"")
                        .append(w.notReady()).append("\" data-rejected=\"").append(w.rejected()).append("\" data-silent=\"").append(w.silent())
                        .append("\"><td>").append(w.index()).append("</td><td class=\"l\">").append(esc(w.name())).append("</td><td class=\"l\">")
                        .append(esc(w.state())).append("</td><td>").append(w.devices()).append("</td><td>").append(w.ready()).append("</td><td>")
                        .append(w.notReady()).append("</td><td>").append(w.rejected()).append("</td><td>").append(w.silent()).append("</td><td>")
                        .append(String.format(Locale.ROOT, "%.0f%%", w.readyPercent())).append("</td><td>")
                        .append(w.successThresholdPercent() == null ? "—" : String.format(Locale.ROOT, "%.0f%%", w.successThresholdPercent())
                                + (w.successReached() ? " ✓" : ""))
                        .append("</td><td>").append(errorThreshold(w)).append("</td></tr>");
            }
            b.append("</table>");
            if (!u.steps().isEmpty()) {
                b.append("<table class=\"steps\"><tr><th class=\"l\">step</th><th>wave</th><th class=\"l\">by</th><th class=\"l\">reason</th>"
                        + "<th class=\"l\">applied</th></tr>");
                for (final RolloutReport.Step s : u.steps()) {
                    b.append("<tr class=\"step\" data-action=\"").append(esc(s.action())).append("\" data-operator=\"")
                            .append(esc(s.operator() == null ? "" : s.operator())).append("\"><td class=\"l\">").append(esc(s.action()))
                            .append("</td><td>").append(s.waveIndex()).append("</td><td class=\"l\">")
                            .append(s.operator() == null ? "<span class=\"meta\">coordinator</span>" : esc(s.operator()))
                            .append("</td><td class=\"l\">").append(s.reason() == null ? "" : esc(s.reason())).append("</td><td class=\"l\">")
                            .append(s.applied() ? "yes" : "<span class=\"err\">no: " + esc(s.problem() == null ? "" : s.problem()) + "</span>")
                            .append("</td></tr>");
                }
                b.append("</table>");
            }
        }
        return b.toString();
    }

    /** An inline SVG polyline of the values, scaled to the largest (a flat line at the bottom when all are 0). */
    public static String sparkline(final List<Long> values) {
        final int width = 120;
        final int height = 24;
        final long max = Math.max(1, values.stream().mapToLong(Long::longValue).max().orElse(1));
        final StringBuilder points = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            final double x = values.size() == 1 ? width : i * (double) width / (values.size() - 1);
            final double y = height - 1 - values.get(i) * (height - 2.0) / max;
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        return "<svg class=\"spark\" width=\"" + width + "\" height=\"" + height + "\" viewBox=\"0 0 " + width + " " + height
                + "\"><polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"" + points.toString().trim() + "\"/></svg>";
    }

    private static String errorThreshold(final RolloutReport.Wave w) {
        final StringBuilder s = new StringBuilder();
        if (w.errorThresholdCount() != null) {
            s.append(w.errorThresholdCount()).append(" device(s)");
        }
        if (w.errorThresholdPercent() != null) {
            s.append(s.length() > 0 ? " or " : "").append(String.format(Locale.ROOT, "%.0f%%", w.errorThresholdPercent()));
        }
        if (s.length() == 0) {
            return "—";
        }
        return w.errorReached() ? s + " <b class=\"err\">reached: halts</b>" : s.toString();
    }

    private static String badge(final LagStatus status) {
        return "<span class=\"s " + status + "\">" + status + "</span>";
    }

    static String duration(final long millis) {
        if (millis < 1_000) {
            return millis + " ms";
        }
        final long s = millis / 1000;
        return s < 120 ? s + " s" : s < 7200 ? s / 60 + " min" : s / 3600 + " h";
    }

    private static String bytes(final Long n) {
        if (n == null) {
            return "—";
        }
        return n < 1024 ? n + " B" : n < 1 << 20 ? n / 1024 + " kB" : n / (1 << 20) + " MB";
    }

    /** HTML-escapes text and attribute values. */
    public static String esc(final String s) {
        if (s == null) {
            return "";
        }
        final StringBuilder b = new StringBuilder(s.length());
        for (final char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
