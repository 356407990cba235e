#!/usr/bin/env bash
# Run the `cli` fuzz target (one job). Usage, from anywhere:
#   fuzz/run.sh [RUNS] [extra libFuzzer flags...]      (RUNS defaults to 1000000)
# Environment:
#   KEEP_GOING=1 (default) fork mode with one job: record crashes, timeouts and
#                OOMs in fuzz/artifacts/cli/ and keep fuzzing.
#   KEEP_GOING=0 plain libFuzzer: stop at the first crash.
#   SANITIZER=none (default; the engine is safe Rust, panics are the findings)
#             or address.
#   FUZZ_BIN=fuzz/builds/cli-<commit>: run that saved build (see below).
set -euo pipefail
cd "$(dirname "$0")/.."            # the crate root (cargo fuzz looks for fuzz/)
RUNS="${1:-1000000}"
shift || true
KEEP_GOING="${KEEP_GOING:-1}"
SANITIZER="${SANITIZER:-none}"

# Working corpus (ignored by git) = committed seeds + whatever earlier runs found.
mkdir -p fuzz/corpus/cli fuzz/artifacts/cli
cp -n fuzz/seeds/cli/* fuzz/corpus/cli/ 2>/dev/null || true

flags=(
  -dict=fuzz/matcalc.dict
  -max_len=2048
  -timeout=60
  -rss_limit_mb=2048
  -runs="$RUNS"
  -print_final_stats=1
)
if [ "$KEEP_GOING" = 1 ]; then
  flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

# FUZZ_BIN=path runs a saved build of the target (fuzz/builds/, ignored by
# git) instead of building the current source: a count of executions can
# then be continued on one build across sessions while the source moves on.
if [ -n "${FUZZ_BIN:-}" ]; then
  exec "$FUZZ_BIN" fuzz/corpus/cli -artifact_prefix=fuzz/artifacts/cli/ "${flags[@]}" "$@"
fi
exec cargo +nightly fuzz run --sanitizer "$SANITIZER" cli fuzz/corpus/cli -- \
  -artifact_prefix=fuzz/artifacts/cli/ "${flags[@]}" "$@"
