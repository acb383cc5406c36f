#!/usr/bin/env bash
# The whole test suite against the real servers: installs what is missing, starts the infrastructure
# the tests need if it is not running (each test file isolates itself: own streams, keyspace, keys,
# bucket) and runs every *.spec.ts with node's test runner.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
t0=$(now_ms)
bash "$ROOT/scripts/stack.sh" up --infra
ensure_chromium
cd "$ROOT"
# *.solo.*.spec files compare timings taken on this machine (the fairness test: p99 under load against
# its own idle p99). They run first, one at a time, with nothing beside them: a CI run had the fuzz
# test measuring a neighbouring fault file's load. Every other file runs after them, two at a time.
mapfile -t solo < <(find dist -name '*.solo.*spec.js' -not -path '*/node_modules/*' | sort)
mapfile -t specs < <(find dist -name '*.spec.js' -not -name '*.solo.*' -not -path '*/node_modules/*' | sort)
[ ${#specs[@]} -gt 0 ] || die "no test files found under dist/"
echo "running ${#solo[@]} test files alone, then ${#specs[@]} two at a time" >&2
set +e
rc=0
if [ ${#solo[@]} -gt 0 ]; then
  node --enable-source-maps --test --test-concurrency=1 --test-timeout=600000 "${solo[@]}" || rc=$?
fi
node --enable-source-maps --test --test-concurrency=2 --test-timeout=600000 "${specs[@]}" || rc=$?
set -e
echo "test suite finished in $(( ($(now_ms)-t0)/1000 ))s (exit $rc)" >&2
exit $rc
