#!/usr/bin/env bash
# Benchmarks: makes sure the local servers are up (and the code built), then runs bench/main.ts.
# Usage: npm run bench -- <workload...|all> [--small] [workload options]
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
bash "$ROOT/scripts/stack.sh" up --infra >&2
cd "$ROOT"
exec node --enable-source-maps dist/bench/main.js "$@"
