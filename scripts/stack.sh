#!/usr/bin/env bash
# The local stack: NATS (JetStream), Redis, Cassandra (standing in for ScyllaDB), S3Proxy and the three
# apps, on loopback. Usage: scripts/stack.sh up [--infra] | down | status | logs [service] [-f]
# `up` is idempotent and reuses servers that already answer; `down` stops only what it started, by pid file.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/cassandra-jvm.sh"

CASSANDRA_VERSION=5.0.8
S3PROXY_VERSION=4.0.0
APPS=(gateway projector notifier)
# The gateway's public API port; every app's management port (/healthz, /readyz, /metrics) is its own.
GATEWAY_PORT=3000
declare -A MANAGEMENT_PORT=([gateway]=3100 [projector]=3101 [notifier]=3102)

start_bg() { # name pidfile logfile cmd...
  local name=$1 pidfile=$2 log=$3; shift 3
  setsid nohup "$@" >>"$log" 2>&1 < /dev/null &
  echo $! >"$pidfile"
}

up_nats() {
  step_start "nats (127.0.0.1:4222, JetStream)"
  if node "$ROOT/scripts/lib/probe.mjs" nats 2>/dev/null; then step_done "reused"; return; fi
  pid_alive "$RUN/nats.pid" && die "nats: our nats-server runs but does not answer" "$LOGS/nats.log"
  command -v nats-server >/dev/null || apt_install nats-server || die "nats: apt-get install nats-server failed"
  mkdir -p "$DATA/nats"
  start_bg nats "$RUN/nats.pid" "$LOGS/nats.log" nats-server -a 127.0.0.1 -p 4222 -js -sd "$DATA/nats"
  wait_port 4222 30 "$RUN/nats.pid" && node "$ROOT/scripts/lib/probe.mjs" nats || die "nats did not start" "$LOGS/nats.log"
  step_done "started"
}

up_redis() {
  step_start "redis (127.0.0.1:6379)"
  if node "$ROOT/scripts/lib/probe.mjs" redis 2>/dev/null; then step_done "reused"; return; fi
  command -v redis-server >/dev/null || apt_install redis-server || die "redis: apt-get install redis-server failed"
  mkdir -p "$DATA/redis"
  start_bg redis "$RUN/redis.pid" "$LOGS/redis.log" redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --dir "$DATA/redis"
  wait_port 6379 20 "$RUN/redis.pid" || die "redis did not start" "$LOGS/redis.log"
  step_done "started"
}

fetch_maven() { # dir, then the mvn goal and its arguments
  local dir=$1; shift
  [ -f "$dir/.complete" ] && return 0
  mkdir -p "$dir"
  (cd "$dir" && mvn -q -B "$@" >"$LOGS/maven-$(basename "$dir").log" 2>&1) || die "maven fetch for $(basename "$dir") failed" "$LOGS/maven-$(basename "$dir").log"
  touch "$dir/.complete"
}

up_cassandra() {
  LIB=$CACHE/cassandra-$CASSANDRA_VERSION/lib
  CDATA=$DATA/cassandra
  step_start "cassandra $CASSANDRA_VERSION jars (Maven Central)"
  if [ -f "$CACHE/cassandra-$CASSANDRA_VERSION/.complete" ]; then step_done "cached"; else
    cp "$ROOT/infra/cassandra/pom.xml" "$CACHE/pom-cassandra.xml"
    fetch_maven "$CACHE/cassandra-$CASSANDRA_VERSION" -f "$CACHE/pom-cassandra.xml" dependency:copy-dependencies \
      -DincludeScope=runtime "-DoutputDirectory=$LIB"
    step_done "$(ls "$LIB" | wc -l) jars"
  fi
  step_start "cassandra (127.0.0.1:9042)"
  if port_open 9042; then step_done "reused"; return; fi
  mkdir -p "$CDATA/logs" "$CDATA/tmp"
  sed "s#@DATA@#$CDATA#g" "$ROOT/infra/cassandra/cassandra.yaml.tpl" >"$CDATA/cassandra.yaml"
  cp "$ROOT/infra/cassandra/logback.xml" "$CDATA/logback.xml"
  cassandra_java_args
  : >"$LOGS/cassandra.log"
  start_bg cassandra "$RUN/cassandra.pid" "$LOGS/cassandra.log" java "${CASSANDRA_ARGS[@]}"
  wait_port 9042 180 "$RUN/cassandra.pid" || die "cassandra did not start (CQL port 9042 never opened)" "$LOGS/cassandra.log"
  step_done "started"
}

up_s3() {
  local dir=$CACHE/s3proxy-$S3PROXY_VERSION jar
  step_start "s3proxy $S3PROXY_VERSION jar (Maven Central)"
  if [ -f "$dir/.complete" ]; then step_done "cached"; else
    fetch_maven "$dir" dependency:copy "-Dartifact=org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" "-DoutputDirectory=$dir"
    step_done
  fi
  jar=$(ls "$dir"/s3proxy-*.jar | head -n1)
  step_start "s3 (S3Proxy, 127.0.0.1:9000)"
  if port_open 9000; then step_done "reused"; else
    mkdir -p "$DATA/s3/blobs"
    sed "s#@DATA@#$DATA/s3#g" "$ROOT/infra/s3proxy/s3proxy.conf.tpl" >"$DATA/s3/s3proxy.conf"
    start_bg s3proxy "$RUN/s3proxy.pid" "$LOGS/s3proxy.log" java -Xmx256m -jar "$jar" --properties "$DATA/s3/s3proxy.conf"
    wait_port 9000 60 "$RUN/s3proxy.pid" || die "s3proxy did not start" "$LOGS/s3proxy.log"
    step_done "started"
  fi
  step_start "s3 bucket $S3_BUCKET"
  node "$ROOT/scripts/lib/probe.mjs" s3bucket 2>"$LOGS/s3bucket.log" || die "s3 bucket check failed" "$LOGS/s3bucket.log"
  step_done
}

migrate() {
  step_start "cassandra migrations (keyspace $CASSANDRA_KEYSPACE)"
  node "$ROOT/dist/apps/chatctl/src/main.js" migrate >"$LOGS/migrate.log" 2>&1 || die "migrations failed" "$LOGS/migrate.log"
  step_done "$(tail -n1 "$LOGS/migrate.log" | sed 's/^migrate: //')"
}

up_app() {
  local app=$1 port=${MANAGEMENT_PORT[$1]} ports=${MANAGEMENT_PORT[$1]} public=()
  if [ "$app" = gateway ]; then public=(HTTP_PORT=$GATEWAY_PORT); ports="$port $GATEWAY_PORT"; fi
  step_start "$app (management :$port)"
  if pid_alive "$RUN/$app.pid"; then step_done "running"; return; fi
  for p in $ports; do
    port_open "$p" && die "$app: port $p is taken by a process this script did not start"
  done
  start_bg "$app" "$RUN/$app.pid" "$LOGS/$app.log" \
    env "${public[@]}" MANAGEMENT_PORT="$port" INSTANCE_ID="$app-1" node "$ROOT/dist/apps/$app/src/main.js"
  for _ in $(seq 120); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && { step_done "ready"; return; }
    pid_alive "$RUN/$app.pid" || die "$app exited during start" "$LOGS/$app.log"
    sleep 0.25
  done
  die "$app did not become ready within 30 s" "$LOGS/$app.log"
}

cmd_up() {
  local t0; t0=$(now_ms)
  load_env
  ensure_node_modules
  build
  up_nats; up_redis; up_cassandra; up_s3
  migrate
  if [ "${1:-}" != "--infra" ]; then
    for app in "${APPS[@]}"; do up_app "$app"; done
    printf '\nstack is up in %ds. gateway: http://127.0.0.1:%s (WebSocket ws://127.0.0.1:%s/v1/ws)\n' \
      $(( ($(now_ms)-t0)/1000 )) "$GATEWAY_PORT" "$GATEWAY_PORT"
    printf 'web client: http://127.0.0.1:%s/ (sign-up codes are in %s)\n' "$GATEWAY_PORT" "$LOGS/gateway.log"
    printf 'management (/healthz, /readyz, /metrics): gateway :%s, projector :%s, notifier :%s\n' \
      "${MANAGEMENT_PORT[gateway]}" "${MANAGEMENT_PORT[projector]}" "${MANAGEMENT_PORT[notifier]}"
  else
    printf 'infrastructure is up in %ds\n' $(( ($(now_ms)-t0)/1000 )) >&2
  fi
}

stop_pidfile() { # name
  local f=$RUN/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  step_start "stopping $1 (pid $pid)"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    step_done "stopped"
  else step_done "was not running"; fi
  rm -f "$f"
}

cmd_down() {
  for app in "${APPS[@]}"; do stop_pidfile "$app"; done
  for svc in s3proxy cassandra redis nats; do stop_pidfile "$svc"; done
}

cmd_status() {
  printf '%-20s %-8s %-8s %s\n' SERVICE STATE PID ADDRESS
  local svc port state pid
  for svc in nats:4222 redis:6379 cassandra:9042 s3proxy:9000 gateway:$GATEWAY_PORT \
    gateway-management:${MANAGEMENT_PORT[gateway]} projector-management:${MANAGEMENT_PORT[projector]} \
    notifier-management:${MANAGEMENT_PORT[notifier]}; do
    port=${svc#*:}; svc=${svc%%:*}
    if port_open "$port"; then state=up; else state=down; fi
    pid=$(cat "$RUN/${svc%-management}.pid" 2>/dev/null || echo "-")
    [ "$pid" != "-" ] && ! kill -0 "$pid" 2>/dev/null && pid="$pid(dead)"
    [ "$pid" = "-" ] && [ "$state" = up ] && pid="external"
    printf '%-20s %-8s %-8s 127.0.0.1:%s\n' "$svc" "$state" "$pid" "$port"
  done
}

cmd_logs() {
  local svc=${1:-}
  if [ -z "$svc" ]; then ls -1 "$LOGS"; return; fi
  [ -f "$LOGS/$svc.log" ] || die "no log for $svc (have: $(ls "$LOGS" | tr '\n' ' '))"
  if [ "${2:-}" = "-f" ]; then tail -n 50 -f "$LOGS/$svc.log"; else tail -n 100 "$LOGS/$svc.log"; fi
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  *) echo "usage: $0 up [--infra] | down | status | logs [service] [-f]" >&2; exit 64 ;;
esac
