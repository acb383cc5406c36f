# Shared helpers of scripts/stack.sh and scripts/test.sh.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$ROOT/.data
CACHE=$ROOT/.infra-cache
RUN=$DATA/run
LOGS=$DATA/logs
mkdir -p "$RUN" "$LOGS" "$CACHE"

now_ms() { date +%s%3N; }
step_start() { STEP_T0=$(now_ms); printf '%-44s' "$1 ..." >&2; }
step_done() { printf ' %s (%d.%ds)\n' "${1:-ok}" $(( ($(now_ms)-STEP_T0)/1000 )) $(( ($(now_ms)-STEP_T0)%1000/100 )) >&2; }
die() { printf '\nerror: %s\n' "$1" >&2; [ -n "${2:-}" ] && [ -f "$2" ] && { echo "--- last lines of $2 ---" >&2; tail -n 30 "$2" >&2; }; exit 1; }

port_open() { (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local port=$1 secs=$2 pidfile=${3:-}; for _ in $(seq $((secs*4))); do
  port_open "$port" && return 0
  if [ -n "$pidfile" ] && ! pid_alive "$pidfile"; then return 1; fi
  sleep 0.25; done; return 1; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

apt_ready=
apt_install() {
  [ -n "$apt_ready" ] || { apt-get update -qq >/dev/null 2>&1 || true; apt_ready=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# npm ci when node_modules is missing or older than the lock file.
ensure_node_modules() {
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    step_start "npm ci"; (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >"$LOGS/npm-ci.log" 2>&1) || die "npm ci failed" "$LOGS/npm-ci.log"; step_done
  fi
}

build() {
  step_start "build (tsc)"; (cd "$ROOT" && npx --no-install tsc -p tsconfig.build.json >"$LOGS/build.log" 2>&1) || die "TypeScript build failed" "$LOGS/build.log"; step_done
  # The web client (apps/web), which the gateway serves from /.
  step_start "build web client (vite)"; (cd "$ROOT" && npx --no-install vite build --config apps/web/vite.config.ts >"$LOGS/build-web.log" 2>&1) || die "web client build failed" "$LOGS/build-web.log"; step_done
}

# The browser tests (test/web) drive Debian's chromium through playwright-core, which downloads no browser.
ensure_chromium() {
  step_start "chromium (browser tests)"
  if command -v chromium >/dev/null; then step_done "installed"; return; fi
  # The emoji font makes the screenshots the tests save show the client's emoji instead of boxes.
  apt_install chromium fonts-noto-color-emoji || die "apt-get install chromium failed"
  step_done "installed now"
}

load_env() { set -a; . "$ROOT/config/local.env"; set +a; }
