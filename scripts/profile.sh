#!/usr/bin/env bash
# Profiles the proxy's request path and prints per-request tables (markdown) for bench/README.md:
#   CPU per request (user / system, from /proc), bytes allocated per request and the top allocators, the hottest
#   methods and the native / Java sample ratio (JFR), and system calls per request by name (strace -c).
# Unary chat, SSE (64 tokens back to back) and unary chat with a large prompt (a 64 KB message), each on 64 keep-alive
# connections from wrk, against the demo upstream started from the same jar, with the bench's proxy settings (limits
# and the access log off).
#   scripts/profile.sh [--jar JAR] [--java JAVA] [--seconds N] [--out DIR] [--scenarios "unary sse large"]
# JAR defaults to proxy-core's -all.jar (built when missing). Needs wrk and strace (Debian packages).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/proxy-core/target/proxy-core-0.1.0-SNAPSHOT-all.jar"
bench_jar="$root/bench/target/llm-bench.jar"
java_bin="java"
seconds=20
out=""
scenarios="unary sse large"
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --java) java_bin="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --scenarios) scenarios="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in wrk strace; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y $tool)" >&2; exit 2; }
done
if [ ! -f "$jar" ] || [ ! -f "$bench_jar" ]; then
  echo "building the jars (mvn clean package, tests skipped)…" >&2
  # shellcheck disable=SC2086 # MVN_ARGS holds several options
  (cd "$root" && mvn -B -q ${MVN_ARGS:-} -DskipTests clean package) >&2
fi
out="${out:-$root/bench/target/profile/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# $1 log file, $2 pattern with one group: waits up to 60 s for it and prints the group.
await_port() {
  for _ in $(seq 1 600); do
    if grep -qoE "$2" "$1" 2>/dev/null; then
      grep -oE "$2" "$1" | head -1 | grep -oE '[0-9]+$'
      return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2
  exit 1
}

"$java_bin" -cp "$jar" dev.llmproxy.Main demo-upstream --port 0 >"$out/upstream.log" 2>&1 &
pids+=($!)
upstream_port="$(await_port "$out/upstream.log" 'listening on http://127.0.0.1:[0-9]+')"

env PORT=0 HOST=127.0.0.1 OPENAI_BASE_URL="http://127.0.0.1:$upstream_port" GITHUB_TOKEN=profile-token \
  RATE_LIMIT_ENABLED=false IP_RATE_LIMIT_PER_MINUTE=0 UPSTREAM_CONCURRENCY_ENABLED=false RETRY_ATTEMPTS=0 \
  ACCESS_LOG=false CATALOG_REFRESH_HOURS=0 UPSTREAM_QUOTA_PACING=false ADAPTIVE_RATE_LIMITS=false \
  UPSTREAM_POOL_MAX_CONNECTIONS=8192 UPSTREAM_POOL_MAX_PENDING=8192 \
  "$java_bin" -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints -jar "$jar" serve >"$out/proxy.log" 2>&1 &
proxy_pid=$!
pids+=("$proxy_pid")
proxy_port="$(await_port "$out/proxy.log" 'listening on http://127.0.0.1:[0-9]+')"
url="http://127.0.0.1:$proxy_port/v1/chat/completions"

cat >"$out/unary.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"llama3.2:3b","messages":[{"role":"user","content":"Say hello to the bench."}],"max_tokens":16}'
EOF
cat >"$out/sse.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Demo-Token-Delay-Ms"] = "0"
wrk.body = '{"model":"llama3.2:3b","messages":[{"role":"user","content":"Say hello to the bench."}],"max_tokens":64,"stream":true}'
EOF

cat >"$out/large.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"llama3.2:3b","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"'
  .. string.rep("Summarise this line of a long document. ", 1600) .. '"}],"max_tokens":16}'
EOF

# user and system CPU ticks of the proxy (all threads)
ticks() { awk '{print $14, $15}' "/proc/$proxy_pid/stat"; }
hz="$(getconf CLK_TCK)"
# wrk's completed request count from its report
requests() { grep -oE '^ +[0-9]+ requests in' "$1" | grep -oE '[0-9]+'; }

run_wrk() { # $1 lua, $2 seconds, $3 report file
  wrk -t2 -c64 -d"$2"s -s "$1" "$url" >"$3"
  if grep -q "Non-2xx" "$3"; then echo "non-2xx answers in $3" >&2; cat "$3" >&2; exit 1; fi
}

# JFR's "profile" settings with a denser allocation sample, so the per-type shares rest on thousands of samples
java_home="$("$java_bin" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.home/ {print $2}')"
sed 's|<setting name="throttle" control="allocation-profiling">[^<]*</setting>|<setting name="throttle" control="allocation-profiling">5000/s</setting>|' \
  "$java_home/lib/jfr/profile.jfc" >"$out/profile.jfc"

for scenario in $scenarios; do
  echo "== $scenario: warm-up ${seconds}s" >&2
  run_wrk "$out/$scenario.lua" "$seconds" "$out/$scenario-warmup.txt"

  echo "== $scenario: CPU and JFR ${seconds}s" >&2
  jcmd "$proxy_pid" JFR.start name=profile settings="$out/profile.jfc" filename="$out/$scenario.jfr" >/dev/null
  read -r u0 s0 < <(ticks)
  run_wrk "$out/$scenario.lua" "$seconds" "$out/$scenario-jfr.txt"
  read -r u1 s1 < <(ticks)
  jcmd "$proxy_pid" JFR.stop name=profile >/dev/null
  n="$(requests "$out/$scenario-jfr.txt")"
  awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$hz" -v n="$n" -v sc="$scenario" 'BEGIN {
    printf "%s: %d requests; CPU per request %.1f µs user + %.1f µs system = %.1f µs (with JFR on)\n",
      sc, n, u / hz / n * 1e6, s / hz / n * 1e6, (u + s) / hz / n * 1e6 }' | tee "$out/$scenario-cpu.txt"

  echo "== $scenario: system calls ${seconds}s under strace" >&2
  strace -f -c -p "$proxy_pid" -o "$out/$scenario-strace.txt" 2>/dev/null &
  strace_pid=$!
  sleep 1
  run_wrk "$out/$scenario.lua" "$seconds" "$out/$scenario-strace-wrk.txt"
  kill -INT "$strace_pid"; wait "$strace_pid" 2>/dev/null || true
  n_strace="$(requests "$out/$scenario-strace-wrk.txt")"
  awk -v n="$n_strace" -v sc="$scenario" '
    /^[ ]*[0-9.]+[ ]+[0-9.]+[ ]+[0-9]+[ ]+[0-9]+/ {
      if ($NF != "total") { total += $4; by[$NF] = $4 } }
    END {
      printf "%s: %d requests under strace; %.2f system calls per request:", sc, n, total / n
      for (k in by) if (by[k] / n >= 0.05) printf " %s %.2f", k, by[k] / n
      printf "\n" }' "$out/$scenario-strace.txt" | tee "$out/$scenario-syscalls.txt"

  "$java_bin" -cp "$bench_jar" dev.llmproxy.bench.profile.JfrTables "$out/$scenario.jfr" "$n" \
    "$scenario ($(basename "$jar"), $("$java_bin" -version 2>&1 | head -1))" >"$out/$scenario-jfr.md"
done
for scenario in $scenarios; do cat "$out/$scenario-cpu.txt" "$out/$scenario-syscalls.txt"; done >"$out/summary.txt"
echo "results: $out (summary.txt, <scenario>-jfr.md)" >&2
