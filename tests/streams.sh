#!/usr/bin/env bash
# Every test, in two pytest streams at once (make test). Run one after the other the suite keeps
# about one core busy (it mostly waits on the servers, workers, trainers and browser it starts),
# and these machines have two.
#   long trainers: the identity acceptance test (it trains for about ten minutes), then the
#                  browser test that trains (about six);
#   others:        every other test, then every other browser test.
# Browser tests run in a pytest process of their own (pyproject's `browser` marker says why). Each
# stream has its own data dir, so its own test database; both take the converted model from the
# model cache (WEFT_MODEL_CACHE: each folder is written once and renamed into place). The long
# trainers' output goes to var/test-logs/trainers.log and is printed when both streams end. Every
# part runs even when an earlier one failed; any failure fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
LONG=tests/training/test_identity_acceptance.py
LONG_IN_BROWSER=tests/portal/test_training_e2e.py
LOG=var/test-logs/trainers.log
mkdir -p var/test-logs
failed=()

long_trainers() {
  export WEFT_DATA_DIR=$PWD/var/test-trainers
  local status=0
  "$BIN/pytest" -q -m "not browser" "$LONG" || status=1
  "$BIN/pytest" -q -m browser "$LONG_IN_BROWSER" || status=1
  return $status
}

echo "tests: two streams at once; the long trainers' stream writes to $LOG"
long_trainers >"$LOG" 2>&1 &
trainers=$!
export WEFT_DATA_DIR=$PWD/var/test-others
"$BIN/pytest" -q -m "not browser" --ignore="$LONG" || failed+=("others")
"$BIN/pytest" -q -m browser --ignore="$LONG_IN_BROWSER" || failed+=("browser")
wait "$trainers" || failed+=("long trainers")
echo "---- the long trainers' stream ($LOG) ----"
cat "$LOG"
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests: FAILED in: ${failed[*]}"
  exit 1
fi
echo "tests: every part passed"
