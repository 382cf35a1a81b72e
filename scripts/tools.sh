#!/usr/bin/env bash
# Everyday operator commands for llm-proxy: run it in the background with a PID file, stop exactly that process,
# and call the CLI tools against it. `scripts/tools.sh help` lists the commands and the variables they read.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
default_jar="$root/proxy-core/target/proxy-core-0.1.0-SNAPSHOT-all.jar"
JAR="${LLM_PROXY_JAR:-$default_jar}"
PID_FILE="${PID_FILE:-./llm-proxy.pid}"
LOG_FILE="${LOG_FILE:-./llm-proxy.log}"
START_TIMEOUT="${START_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-40}"
SERVER_CMD="${SERVER_CMD:-}"

# The port the proxy listens on: PORT from the environment, else from ./.env (as the proxy reads it), else 3010.
env_file_port() {
  [ -f .env ] || return 0
  sed -n 's/^[[:space:]]*PORT[[:space:]]*=[[:space:]]*["'\'']\{0,1\}\([0-9]*\).*/\1/p' .env | tail -n 1
}
PORT="${PORT:-$(env_file_port)}"
PORT="${PORT:-3010}"
PROXY_URL="${PROXY_URL:-http://127.0.0.1:$PORT}"

usage() {
  cat <<EOF
Usage: scripts/tools.sh COMMAND [ARGS...]

  start       start the proxy in the background, wait until /health answers (PID in \$PID_FILE)
  stop        stop the process in \$PID_FILE: SIGTERM, then SIGKILL after \$STOP_TIMEOUT s; only that process
  status      is the proxy in \$PID_FILE running and healthy? (exit 0 yes, 1 running but unhealthy, 3 not running)
  test        interactive quick test (llm-proxy quick-test ARGS); starts the proxy if needed
  benchmark   time models (llm-proxy benchmark-models ARGS); starts the proxy if needed
  test-models probe every model (llm-proxy test-models ARGS); starts the proxy if needed
  models      list the models (llm-proxy models ARGS)
  generate    write client examples (llm-proxy generate ARGS; default --out generated-examples)
  health      check the proxy and its upstreams (llm-proxy health ARGS)
  setup       check Java, build the jar, write .env from the template if there is none
  logs        follow \$LOG_FILE (logs --no-follow prints the last \$LINES lines and exits)
  help        this text

Variables: PORT (default: .env's PORT, else 3010), PROXY_URL (http://127.0.0.1:\$PORT), PID_FILE (./llm-proxy.pid),
LOG_FILE (./llm-proxy.log), START_TIMEOUT (60 s), STOP_TIMEOUT (40 s), JAVA_OPTS, LLM_PROXY_JAR (the jar; set, it is
never rebuilt), SERVER_CMD (run instead of scripts/start) and SERVER_MATCH (text the command line of the process in
\$PID_FILE must contain; default: the jar's file name or scripts/start, or SERVER_CMD when that is set).
EOF
}

say() { printf '%s\n' "$*"; }
fail() { printf 'tools.sh: %s\n' "$*" >&2; exit 1; }

healthy() {
  curl -fsS --max-time 2 -o /dev/null "$PROXY_URL/health" 2>/dev/null
}

# --- identity of the process in the PID file ---------------------------------------------------------------------

# The state letter of a live process (R, S, D, T, Z …); fails when there is none.
proc_state() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  printf '%s' "${stat%% *}"
}

alive() {
  local state
  state="$(proc_state "$1")" || return 1
  [ "$state" != Z ] && [ "$state" != X ]
}

# When the process started, in seconds since the epoch (from /proc: boot time plus its start in clock ticks).
proc_start_epoch() {
  local stat boot ticks fields
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  read -r -a fields <<<"${stat##*) }"
  boot="$(awk '/^btime/ {print $2}' /proc/stat)"
  ticks="$(getconf CLK_TCK)"
  printf '%s' $((boot + fields[19] / ticks))
}

cmdline_of() {
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
}

# Whether PID is the process tools.sh started: its command line names the proxy (SERVER_MATCH) and it started before
# the PID file was written, so a later process that reused the number is never taken for it.
is_ours() {
  local pid="$1" cmdline started written
  cmdline="$(cmdline_of "$pid")" || return 1
  started="$(proc_start_epoch "$pid")" || return 1
  written="$(stat -c %Y "$PID_FILE")"
  [ "$started" -le $((written + 1)) ] || return 2
  if [ -n "${SERVER_MATCH:-}" ]; then
    [[ "$cmdline" == *"$SERVER_MATCH"* ]] || return 3
  elif [ -n "$SERVER_CMD" ]; then
    [[ "$cmdline" == *"$SERVER_CMD"* ]] || return 3
  else
    [[ "$cmdline" == *"$(basename "$JAR")"* || "$cmdline" == *scripts/start* ]] || return 3
  fi
}

# The PID in the PID file when that process is alive and ours; fails otherwise.
running_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  read -r pid <"$PID_FILE" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  is_ours "$pid" || return 1
  printf '%s' "$pid"
}

# --- building and running -------------------------------------------------------------------------------------------

ensure_jar() {
  if [ -n "${LLM_PROXY_JAR:-}" ]; then
    [ -f "$JAR" ] || fail "LLM_PROXY_JAR: $JAR (expected: an existing jar)"
    return 0
  fi
  "$root/scripts/start" --build-only
}

cli() {
  ensure_jar
  command -v java >/dev/null || fail "java is not installed (expected: Java 17 or later)"
  # shellcheck disable=SC2086 # JAVA_OPTS holds several options
  java ${JAVA_OPTS:-} -jar "$JAR" "$@"
}

wait_until_stopped() {
  local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT))
  while alive "$pid"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      return 1
    fi
    sleep 0.2
  done
}

cmd_start() {
  local pid deadline
  if pid="$(running_pid)"; then
    say "llm-proxy is already running (pid $pid, $PROXY_URL)"
    return 0
  fi
  if healthy; then
    fail "something already answers at $PROXY_URL/health, not started by tools.sh (no live process in $PID_FILE)"
  fi
  mkdir -p "$(dirname "$LOG_FILE")" "$(dirname "$PID_FILE")"
  if [ -n "$SERVER_CMD" ]; then
    # exec: the PID in the file is the server itself, not a shell around it
    PORT="$PORT" setsid nohup bash -c "exec $SERVER_CMD" >>"$LOG_FILE" 2>&1 </dev/null &
  else
    ensure_jar
    # scripts/start execs java, so the PID stays the server's; setsid + nohup: a closed terminal does not stop it
    PORT="$PORT" setsid nohup "$root/scripts/start" >>"$LOG_FILE" 2>&1 </dev/null &
  fi
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  say "starting llm-proxy (pid $pid, log $LOG_FILE)…"
  deadline=$((SECONDS + START_TIMEOUT))
  until healthy; do
    if ! alive "$pid"; then
      rm -f "$PID_FILE"
      printf 'tools.sh: llm-proxy exited during start-up; the end of %s:\n' "$LOG_FILE" >&2
      tail -n 20 "$LOG_FILE" >&2 || true
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf 'tools.sh: %s/health did not answer within %s s; the end of %s:\n' "$PROXY_URL" "$START_TIMEOUT" \
        "$LOG_FILE" >&2
      tail -n 20 "$LOG_FILE" >&2 || true
      kill -TERM "$pid" 2>/dev/null || true
      wait_until_stopped "$pid" || kill -KILL "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      printf 'tools.sh: stopped pid %s\n' "$pid" >&2
      exit 1
    fi
    sleep 0.5
  done
  say "llm-proxy is up at $PROXY_URL (pid $pid)"
}

cmd_stop() {
  local pid why
  if [ ! -f "$PID_FILE" ]; then
    say "llm-proxy is not running (no $PID_FILE)"
    return 0
  fi
  read -r pid <"$PID_FILE" || pid=""
  [[ "$pid" =~ ^[0-9]+$ ]] || fail "$PID_FILE: '$pid' (expected: a process id)"
  if ! alive "$pid"; then
    rm -f "$PID_FILE"
    say "llm-proxy is not running (pid $pid is gone; removed $PID_FILE)"
    return 0
  fi
  why=0
  is_ours "$pid" || why=$?
  if [ "$why" -eq 2 ]; then
    rm -f "$PID_FILE"
    say "pid $pid started after $PID_FILE was written: another process reused the number; left it alone and" \
      "removed the stale $PID_FILE"
    return 0
  elif [ "$why" -ne 0 ]; then
    fail "pid $pid in $PID_FILE does not look like llm-proxy (command line: $(cmdline_of "$pid")); not stopping it"
  fi
  kill -TERM "$pid"
  say "stopping llm-proxy (pid $pid)…"
  if wait_until_stopped "$pid"; then
    say "llm-proxy stopped"
  else
    kill -KILL "$pid" 2>/dev/null || true
    say "llm-proxy did not stop within $STOP_TIMEOUT s; killed pid $pid"
  fi
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if healthy; then
      say "llm-proxy is running (pid $pid) and healthy at $PROXY_URL"
      return 0
    fi
    say "llm-proxy is running (pid $pid) but $PROXY_URL/health does not answer"
    return 1
  fi
  if healthy; then
    say "a proxy answers at $PROXY_URL, not started by tools.sh (no live process in $PID_FILE)"
    return 0
  fi
  say "llm-proxy is not running"
  return 3
}

ensure_running() {
  healthy || cmd_start
}

cmd_setup() {
  command -v java >/dev/null || fail "java is not installed (expected: Java 17 or later)"
  local version
  version="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [ "${version%%.*}" -ge 17 ] 2>/dev/null || fail "java $version (expected: Java 17 or later)"
  command -v curl >/dev/null || fail "curl is not installed (start, status and the watchdog use it)"
  ensure_jar
  if [ -f .env ]; then
    say ".env exists; left unchanged (llm-proxy config --out - prints the full template)"
  else
    cli config --out .env
  fi
  say "next: edit .env, then scripts/tools.sh start && scripts/tools.sh health"
}

cmd_logs() {
  [ -f "$LOG_FILE" ] || fail "$LOG_FILE: no such file (expected: the log of scripts/tools.sh start)"
  if [ "${1:-}" = "--no-follow" ]; then
    tail -n "${LINES:-100}" "$LOG_FILE"
  else
    tail -n "${LINES:-100}" -F "$LOG_FILE"
  fi
}

command="${1:-help}"
shift || true
case "$command" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  test) ensure_running && cli quick-test --url "$PROXY_URL" "$@" ;;
  benchmark) ensure_running && cli benchmark-models --url "$PROXY_URL" "$@" ;;
  test-models) ensure_running && cli test-models --url "$PROXY_URL" "$@" ;;
  models) cli models --url "$PROXY_URL" "$@" ;;
  generate)
    if [ $# -eq 0 ]; then
      set -- --out generated-examples
    fi
    cli generate --url "$PROXY_URL" "$@"
    ;;
  health) cli health --url "$PROXY_URL" "$@" ;;
  setup) cmd_setup ;;
  logs) cmd_logs "$@" ;;
  help | -h | --help) usage ;;
  *)
    usage >&2
    exit 1
    ;;
esac
