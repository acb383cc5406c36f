#!/usr/bin/env bash
# The whole test suite against the real servers: installs what is missing, starts the infrastructure
# the tests need if it is not running (each test file isolates itself: own streams, keyspace, keys,
# bucket) and runs every *.spec.ts with node's test runner.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
t0=$(now_ms)
bash "$ROOT/scripts/stack.sh" up --infra
cd "$ROOT"
mapfile -t specs < <(find dist -name '*.spec.js' -not -path '*/node_modules/*' | sort)
[ ${#specs[@]} -gt 0 ] || die "no test files found under dist/"
echo "running ${#specs[@]} test files" >&2
set +e
node --enable-source-maps --test --test-concurrency=2 --test-timeout=300000 "${specs[@]}"
rc=$?
set -e
echo "test suite finished in $(( ($(now_ms)-t0)/1000 ))s (exit $rc)" >&2
exit $rc
