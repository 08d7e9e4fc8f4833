#!/usr/bin/env bash
# The FactFleet bench in one command: builds the bench module and what it depends on, writes its
# runtime classpath, and runs BenchMain, which merges its figures into bench/results/latest.json.
# Arguments go to BenchMain (bench/run.sh --help lists them).
#
#   BENCH_SKIP_BUILD=1   reuse the last build and classpath
#   MVN_FLAGS            Maven flags (default "-q -B"; add -o to stay offline)
#   BENCH_JAVA_OPTS      JVM options (default "-Xms4g -Xmx4g")
#   BENCH_MAIN           main class (default io.factfleet.bench.BenchMain; io.factfleet.bench.SnapshotBench runs only
#                        snapshot_complete_ms and gc_reclaimed_fraction, io.factfleet.bench.ActivationBench only activation_ms)
#
# On a shared machine run it under the builders' lock so no build competes for the cores:
#   flock /tmp/factfleet-mvn.lock bench/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
read -r -a mvn_flags <<< "${MVN_FLAGS:--q -B}"
read -r -a java_opts <<< "${BENCH_JAVA_OPTS:--Xms4g -Xmx4g}"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  mvn "${mvn_flags[@]}" install -DskipTests -pl bench -am
  mvn "${mvn_flags[@]}" -pl bench dependency:build-classpath \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
fi
exec java "${java_opts[@]}" \
  -Dlog4j2.configurationFile="$root/bench/src/main/resources/bench-log4j2.xml" \
  -cp "$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")" \
  "${BENCH_MAIN:-io.factfleet.bench.BenchMain}" "$@"
