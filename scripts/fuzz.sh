#!/usr/bin/env bash
# Runs the Jazzer fuzz tests (proxy-core, classes named *FuzzTest) in fuzzing mode, one after another, each for a
# bounded time. `mvn verify` runs the same tests only over their committed inputs (regression mode).
#   scripts/fuzz.sh                      # every fuzz test, 120 s each
#   scripts/fuzz.sh 600                  # every fuzz test, 600 s each
#   scripts/fuzz.sh 300 RouterFuzzTest   # some of them (a class runs each of its @FuzzTest methods in turn)
# MVN_ARGS=-o for offline. A finding fails that run and leaves the input that caused it as crash-<sha1> in the test's
# inputs directory (proxy-core/src/test/resources/dev/llmproxy/<package>/<Class>Inputs/<method>/): fix the code and
# keep the file, so every later build replays it. Inputs that found new coverage go to proxy-core/.cifuzz-corpus/
# (not committed). Exits non-zero when any run found something.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds="${1:-120}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [FuzzTestClass ...]" >&2
  exit 2
fi
shift || true
classes=("$@")
if [ "${#classes[@]}" -eq 0 ]; then
  mapfile -t classes < <(find proxy-core/src/test/java -name '*FuzzTest.java' -exec basename {} .java \; | sort)
fi

# one @FuzzTest per JVM in fuzzing mode (Jazzer's rule): list Class#method pairs
targets=()
for class in "${classes[@]}"; do
  file="$(find proxy-core/src/test/java -name "$class.java" | head -1)"
  if [ -z "$file" ]; then
    echo "no fuzz test class $class under proxy-core/src/test/java" >&2
    exit 2
  fi
  while read -r method; do
    targets+=("$class#$method")
  done < <(grep -A1 '@FuzzTest' "$file" | grep -oE 'void [A-Za-z0-9_]+' | cut -d' ' -f2)
done

read -r -a mvn_args <<< "${MVN_ARGS:-}"
started="$(mktemp -t llm-fuzz.XXXXXX)"
trap 'rm -f "$started"' EXIT
failed=()
for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${seconds}s" >&2
  if ! JAZZER_FUZZ=1 mvn -B -q "${mvn_args[@]}" test -pl proxy-core -am \
      -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.test="$target" -Dfuzz.hooks=true \
      -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1="-max_total_time=$seconds" \
      -Djazzer.internal.arg.2=-timeout=30; then
    failed+=("$target")
  fi
done

crashes="$(find proxy-core/src/test/resources -path '*Inputs/*' -name 'crash-*' -newer "$started" 2>/dev/null || true)"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "findings in: ${failed[*]}" >&2
  [ -n "$crashes" ] && printf 'inputs:\n%s\n' "$crashes" >&2
  exit 1
fi
echo "no findings in ${#targets[@]} fuzz tests (${seconds}s each)" >&2
