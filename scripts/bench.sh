#!/usr/bin/env bash
# Benchmarks: makes sure the local servers are up (and the code built), then runs bench/main.ts.
# Usage: npm run bench -- <workload...|all> [--small] [workload options]
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
bash "$ROOT/scripts/stack.sh" up --infra >&2
cd "$ROOT"
# Idle connections need one open file per socket in the gateway and the load processes: raise the soft
# limit to the hard one (the hard limit cannot be raised from inside: 20,000 on the development machines, even as root).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
printf 'open files per process: %s (hard %s)\n' "$(ulimit -n)" "$(ulimit -Hn)" >&2
exec node --enable-source-maps dist/bench/main.js "$@"
