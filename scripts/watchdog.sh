#!/usr/bin/env bash
# Keeps llm-proxy alive: starts it, checks /health every INTERVAL seconds, and restarts it when it died or stopped
# answering, at most MAX_RESTARTS_MIN starts in any 60 s. It only ever signals the process group of the server it
# started itself; a server it did not start is watched, never stopped. SIGTERM or Ctrl-C stops that server and exits.
# Logs go to stdout and LOG_FILE with UTC timestamps. For production, prefer the systemd unit in deploy/.
#
#   PORT=3010 INTERVAL=10 scripts/watchdog.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PORT:-3010}"
INTERVAL="${INTERVAL:-10}"                  # seconds between two checks (fractions allowed)
RESTART_DELAY="${RESTART_DELAY:-2}"         # seconds to wait after starting the server
MAX_RESTARTS_MIN="${MAX_RESTARTS_MIN:-10}"  # most starts in any 60 s; beyond, starts are skipped and logged
WATCH_CMD="${WATCH_CMD:-$root/scripts/start}"
HEALTH_URL="${HEALTH_URL:-http://127.0.0.1:$PORT/health}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-4}"       # seconds one check may take
HEALTH_FAILURES="${HEALTH_FAILURES:-2}"     # failed checks in a row before a restart
START_GRACE="${START_GRACE:-60}"            # seconds after a start in which failed checks do not count (JVM start)
STOP_TIMEOUT="${STOP_TIMEOUT:-40}"          # seconds between SIGTERM and SIGKILL (covers SHUTDOWN_GRACE_MS)
LOG_FILE="${LOG_FILE:-watchdog.log}"
SERVER_LOG="${SERVER_LOG:-llm-proxy.log}"

server=""          # PID of the server this watchdog started, which is also its process group
started_at=0       # when it was started (seconds since the epoch)
failures=0         # failed health checks in a row
starts=()          # when each recent start happened, for the throttle
napper=""          # PID of the sleep between two checks
foreign_logged=0

log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"
  printf '%s\n' "$line"
  printf '%s\n' "$line" >>"$LOG_FILE"
}

healthy() {
  curl -fsS --max-time "$HEALTH_TIMEOUT" -o /dev/null "$HEALTH_URL" 2>/dev/null
}

# Waits without blocking signal handling: bash runs a trap only between commands, and `wait` is one it interrupts.
nap() {
  sleep "$1" &
  napper=$!
  wait "$napper" || true
  napper=""
}

server_alive() {
  local stat
  [ -n "$server" ] || return 1
  stat="$(cat "/proc/$server/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat%% *}" != Z ]
}

start_server() {
  local now recent=() at
  now="$(date +%s)"
  for at in "${starts[@]}"; do
    if [ $((now - at)) -lt 60 ]; then
      recent+=("$at")
    fi
  done
  starts=("${recent[@]}")
  if [ "${#starts[@]}" -ge "$MAX_RESTARTS_MIN" ]; then
    log "restart throttled: ${#starts[@]} starts in the last 60 s (MAX_RESTARTS_MIN=$MAX_RESTARTS_MIN)"
    return 0
  fi
  starts+=("$now")
  # setsid: the server leads a process group of its own, which stop_server signals whole (scripts/start, java)
  PORT="$PORT" setsid bash -c "exec $WATCH_CMD" >>"$SERVER_LOG" 2>&1 </dev/null &
  server=$!
  started_at="$now"
  failures=0
  log "started server (pid $server): $WATCH_CMD"
  nap "$RESTART_DELAY"
}

# Stops the process group of the server this watchdog started: SIGTERM, then SIGKILL after STOP_TIMEOUT.
stop_server() {
  local deadline
  [ -n "$server" ] || return 0
  if kill -0 -- "-$server" 2>/dev/null; then
    kill -TERM -- "-$server" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while server_alive && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.2
    done
    if server_alive; then
      log "server (pid $server) did not stop within $STOP_TIMEOUT s; killing its process group"
    fi
    kill -KILL -- "-$server" 2>/dev/null || true
  fi
  wait "$server" 2>/dev/null || true
  server=""
}

on_signal() {
  trap - TERM INT
  log "received $1; stopping the server this watchdog started${server:+ (pid $server)}"
  if [ -n "$napper" ]; then
    kill "$napper" 2>/dev/null || true
  fi
  stop_server
  log "watchdog stopped"
  exit 0
}

trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGINT' INT

log "watchdog started: $HEALTH_URL every $INTERVAL s, at most $MAX_RESTARTS_MIN starts a minute, command: $WATCH_CMD"
if [ "$WATCH_CMD" = "$root/scripts/start" ]; then
  # build now, in the foreground, so no start-up grace has to cover a Maven build
  "$root/scripts/start" --build-only
fi
while :; do
  if [ -n "$server" ] && ! server_alive; then
    status=0
    wait "$server" 2>/dev/null || status=$?
    log "server (pid $server) exited with status $status"
    server=""
  fi
  if [ -z "$server" ]; then
    if healthy; then
      if [ "$foreign_logged" -eq 0 ]; then
        log "a server this watchdog did not start answers $HEALTH_URL; watching it, it will not be stopped"
        foreign_logged=1
      fi
    else
      foreign_logged=0
      start_server
    fi
  elif healthy; then
    failures=0
  elif [ $(($(date +%s) - started_at)) -ge "$START_GRACE" ]; then
    failures=$((failures + 1))
    if [ "$failures" -ge "$HEALTH_FAILURES" ]; then
      log "server (pid $server) failed $failures health checks in a row; restarting it"
      stop_server
      start_server
    fi
  fi
  nap "$INTERVAL"
done
