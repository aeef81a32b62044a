#!/usr/bin/env bash
# Local Redis servers for the lindy-redis tests, demo and benchmarks.
#
#   servers.sh start DIR   one standalone server (AOF on) and a 3-master cluster, on free
#                          127.0.0.1 ports, with their files in DIR; writes DIR/env with
#                          LINDY_REDIS_URL and LINDY_REDIS_CLUSTER_URLS (to `source`).
#   servers.sh stop DIR    stops every server started in DIR, by the PIDs in DIR/*.pid.
#   servers.sh standalone DIR   only the standalone server.
set -euo pipefail

die() { echo "servers.sh: $*" >&2; exit 1; }
command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
command -v redis-cli >/dev/null || die "redis-cli is not installed (apt-get install redis-tools)"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A free port below 50000 (a cluster node also listens on port + 10000).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 30000 ))
    if port_free "$p" && port_free $(( p + 10000 )); then echo "$p"; return; fi
  done
  die "no free port"
}

# start_one DIR NAME EXTRA-ARGS... : starts a server, prints its port once it answers PING.
start_one() {
  local dir=$1 name=$2; shift 2
  local port
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    mkdir -p "$dir/$name"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir/$name" --daemonize yes \
      --pidfile "$dir/$name.pid" --logfile "$dir/$name.log" --save '' "$@" >/dev/null || continue
    for _ in $(seq 1 50); do
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then echo "$port"; return; fi
      sleep 0.1
    done
    [ -f "$dir/$name.pid" ] && kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
  done
  die "could not start $name (see $dir/$name.log)"
}

start_standalone() {
  local dir=$1 port
  port=$(start_one "$dir" standalone --appendonly yes --appendfsync always)
  echo "export LINDY_REDIS_URL=redis://127.0.0.1:$port" >>"$dir/env"
}

start_cluster() {
  local dir=$1 ports=() p
  for i in 1 2 3; do
    p=$(start_one "$dir" "cluster$i" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 2000 --appendonly no)
    ports+=("$p")
  done
  redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}" \
    --cluster-replicas 0 --cluster-yes >"$dir/cluster-create.log" 2>&1 \
    || die "cluster create failed (see $dir/cluster-create.log)"
  for _ in $(seq 1 100); do
    local ok=1
    for p in "${ports[@]}"; do
      redis-cli -p "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || ok=0
    done
    if [ "$ok" = 1 ]; then
      echo "export LINDY_REDIS_CLUSTER_URLS=redis://127.0.0.1:${ports[0]},redis://127.0.0.1:${ports[1]},redis://127.0.0.1:${ports[2]}" >>"$dir/env"
      return
    fi
    sleep 0.1
  done
  die "cluster did not reach cluster_state:ok"
}

stop_all() {
  local dir=$1 pid f
  for f in "$dir"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

[ $# -eq 2 ] || die "usage: servers.sh start|standalone|stop DIR"
dir=$2
case $1 in
  start) mkdir -p "$dir"; : >"$dir/env"; start_standalone "$dir"; start_cluster "$dir" ;;
  standalone) mkdir -p "$dir"; : >"$dir/env"; start_standalone "$dir" ;;
  stop) stop_all "$dir" ;;
  *) die "usage: servers.sh start|standalone|stop DIR" ;;
esac
