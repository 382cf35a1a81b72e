#!/usr/bin/env bash
# End-to-end bench: direct to the demo upstream, through the proxy and through nginx, in the same run.
#   scripts/bench.sh quick [--out DIR] [options]   # under 2 minutes: short steps, SSE ramp to 512, 20 s soak
#   scripts/bench.sh full  [--out DIR] [options]   # what BENCHMARKS.md reports (about 10-15 minutes)
#   scripts/bench.sh --help                        # every option
# Builds the jars when missing (MVN_ARGS=-o for offline), raises the open-file limit for the SSE ramp, and stops
# every process the run started (upstream and proxy JVMs, nginx) on exit, error or Ctrl-C. The results directory
# (default bench/target/bench-results/<timestamp>/) gets report.md, report.json, *.hgrm, *.svg and the server logs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
proxy_jar="proxy-core/target/proxy-core-0.1.0-SNAPSHOT-all.jar"
bench_jar="bench/target/llm-bench.jar"

if [ ! -f "$proxy_jar" ] || [ ! -f "$bench_jar" ]; then
  echo "building the jars (mvn clean package, tests skipped)…" >&2
  mvn -B -q ${MVN_ARGS:-} -DskipTests clean package >&2
fi

# Each SSE ramp level holds N client connections, N proxy client + N proxy upstream connections, N upstream ones.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 20000 ]; then
  echo "note: open files limited to $(ulimit -n); the SSE ramp may fail on descriptors, not on the proxy" >&2
fi

bench_pid=""
pids_file="$(mktemp -t llm-bench-pids.XXXXXX)"
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -TERM "$bench_pid" 2>/dev/null || true   # its shutdown hooks stop the servers it started
    for _ in $(seq 1 50); do kill -0 "$bench_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$bench_pid" 2>/dev/null || true
  fi
  # Whatever survived a killed bench JVM: the pids it recorded.
  while read -r name pid; do
    [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null && { echo "stopping leftover $name ($pid)" >&2; kill -TERM "$pid" 2>/dev/null || true; }
  done < "$pids_file"
  rm -f "$pids_file"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

java ${BENCH_JAVA_OPTS:-} -Dllm.bench.pids="$pids_file" -jar "$bench_jar" --invoked-as "scripts/bench.sh $*" "$@" &
bench_pid=$!
wait "$bench_pid"
