#!/usr/bin/env bash
# Every test, in two pytest streams at once (make test). The suite keeps about one core busy: it
# mostly waits on the servers, workers, trainers and browser it starts, and these machines have two.
# Measured here: make test took 26 minutes so, against about 40 one after the other. Running the
# identity acceptance alone beside everything else (other trainers included) took 33: two
# trainers at once each slow to half.
#   trainers: tests/training (its trainer runs; the identity acceptance alone takes ~10 minutes);
#   others:   every other test, then the browser tests but the one that trains;
#   then, alone once both have ended, the browser test that trains, so two trainers never share
#   the cores.
# Browser tests run in a pytest process of their own (pyproject's `browser` marker says why). Each
# stream has its own data dir, so its own test database; both take the converted model from the
# model cache (WEFT_MODEL_CACHE: each folder is written once and renamed into place). The
# trainers' output goes to var/test-logs/trainers.log and is printed when both streams end. Every
# part runs even when an earlier one failed; any failure fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
TRAINS_IN_BROWSER=tests/portal/test_training_e2e.py
LOG=var/test-logs/trainers.log
mkdir -p var/test-logs
failed=()

echo "tests: two streams at once; the trainers' stream writes to $LOG"
WEFT_DATA_DIR=$PWD/var/test-trainers "$BIN/pytest" -q -m "not browser" tests/training >"$LOG" 2>&1 &
trainers=$!
export WEFT_DATA_DIR=$PWD/var/test-others
"$BIN/pytest" -q -m "not browser" --ignore=tests/training || failed+=("others")
"$BIN/pytest" -q -m browser --ignore="$TRAINS_IN_BROWSER" || failed+=("browser")
wait "$trainers" || failed+=("trainers")
echo "---- the trainers' stream ($LOG) ----"
cat "$LOG"
"$BIN/pytest" -q -m browser "$TRAINS_IN_BROWSER" || failed+=("browser training")
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests: FAILED in: ${failed[*]}"
  exit 1
fi
echo "tests: every part passed"
