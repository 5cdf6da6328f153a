#!/usr/bin/env bash
# Benchmark for reads through the Engine API (issue 12) and the fleet view (issue 11), medians of one
# run with their ratios:
#
#   1. `owner` of one container: the API path vs the CLI path (DS01_BUILD_API=off, what every read
#      did before) vs DS01's bash reader (two `docker inspect`s: ds01.user, then aime.mlc.USER);
#   2. `ps --all-users` over N containers (default 200) vs the raw list call made here with
#      `curl --unix-socket` (the daemon's own floor), and the CLI path;
#   3. `lineage` of a two-image chain, API vs CLI path;
#   4. the fleet: `ps --all-users` over two engines (this one and a second dockerd started here on
#      127.0.0.1, its own dirs, stopped at exit) vs each engine alone: concurrent means ≈ the slower.
#
# Needs: cargo, hyperfine, jq, curl, dockerd, /bin/busybox, a running docker engine on
# /var/run/docker.sock. Usage: bench/api.sh [RUNS] [CONTAINERS]
export DS01_BUILD_ENGINE=docker
source "$(dirname "$0")/lib.sh"
runs="${1:-30}"
n="${2:-200}"
prefix="ds01bench-api-$$"
image="$prefix-img"
unset DOCKER_HOST DOCKER_CONTEXT
export DOCKER_CONFIG="$work/docker-config"
mkdir -p "$DOCKER_CONFIG"
dpid=""

bench_cleanup() {
  docker ps -a -q --filter "name=^$prefix-" | xargs -r -n 100 docker rm -f >/dev/null 2>&1 || true
  docker rmi -f "$prefix-child" >/dev/null 2>&1 || true
  if [[ -n "$dpid" ]]; then
    kill "$dpid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$dpid" 2>/dev/null || true
  fi
}
busybox_image "$image"
printf 'FROM %s\nLABEL %s.child=yes\n' "$image" "$prefix" >"$work/busybox-ctx/Dockerfile.child"
docker build --network none -q -f "$work/busybox-ctx/Dockerfile.child" -t "$prefix-child" "$work/busybox-ctx" >/dev/null

for ((i = 0; i < n; i++)); do
  docker create --network none --name "$prefix-$i" --label "aime.mlc.USER=user$((i % 7))" "$image" >/dev/null &
  if (((i + 1) % 4 == 0)); then wait; fi
done
wait
one="$prefix-0"
total=$(docker ps -a -q | wc -l)

cat >"$work/ds01-reader.sh" <<'BASH'
#!/usr/bin/env bash
# DS01's ownership fallback (scripts/lib/docker-utils.sh) for one container.
owner=$(docker inspect --format '{{index .Config.Labels "ds01.user"}}' "$1" 2>/dev/null)
[[ -n "$owner" ]] || owner=$(docker inspect --format '{{index .Config.Labels "aime.mlc.USER"}}' "$1" 2>/dev/null)
echo "$owner"
BASH
chmod +x "$work/ds01-reader.sh"

hf() { hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/$1.json" "${@:2}" >/dev/null; }
med() { printf '%.2f' "$(hf_median_ms "$work/$1.json" "$2")"; }

echo "Engine API reads (docker $(docker version --format '{{.Server.Version}}'), $(nproc) cores, $total containers on the engine)"

# 1. owner
hf owner -n api "$bin owner $one" -n cli "env DS01_BUILD_API=off $bin owner $one" \
  -n ds01 "$work/ds01-reader.sh $one"
api=$(med owner api) cli=$(med owner cli) ds01=$(med owner ds01)
echo "owner ONE:        api $api ms | cli path $cli ms ($(ratio "$cli" "$api")x) | DS01 bash reader $ds01 ms ($(ratio "$ds01" "$api")x)"

# 2. ps over every container vs the raw list call
hf ps -n api "$bin ps --all-users --format json" \
  -n raw "curl -s --unix-socket /var/run/docker.sock http://docker/v1.41/containers/json?all=1" \
  -n cli "env DS01_BUILD_API=off $bin ps --all-users --format json"
api=$(med ps api) raw=$(med ps raw) cli=$(med ps cli)
echo "ps --all-users:   api $api ms | raw list call (curl) $raw ms (api/raw $(ratio "$api" "$raw")) | cli path $cli ms ($(ratio "$cli" "$api")x)"

# 3. lineage
hf lineage -n api "$bin lineage $prefix-child" -n cli "env DS01_BUILD_API=off $bin lineage $prefix-child"
api=$(med lineage api) cli=$(med lineage cli)
echo "lineage CHILD:    api $api ms | cli path $cli ms ($(ratio "$cli" "$api")x)"

# 4. the fleet: a second dockerd with a few containers, reached through a context.
d="$work/d"
mkdir -p "$d"
echo '{}' >"$d/daemon.json"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dockerd -H "tcp://127.0.0.1:$port" --tls=false --bridge=none --iptables=false --data-root "$d/data" \
  --exec-root "$d/exec" --pidfile "$d/pid" --config-file "$d/daemon.json" >"$d/log" 2>&1 &
dpid=$!
for _ in $(seq 150); do docker -H "tcp://127.0.0.1:$port" info >/dev/null 2>&1 && break; sleep 0.2; done
docker context create far --docker "host=tcp://127.0.0.1:$port" >/dev/null
DS01_BUILD_ENGINE=docker DOCKER_HOST="tcp://127.0.0.1:$port" bash -c "
  cd '$work/busybox-ctx' && docker build --network none -q -t far-img . >/dev/null &&
  for i in \$(seq 20); do docker create --network none --name far-\$i far-img >/dev/null; done"
hf fleet -n both "$bin --context default --context far ps --all-users --format json" \
  -n here "$bin --context default ps --all-users --format json" \
  -n far "$bin --context far ps --all-users --format json"
both=$(med fleet both) here=$(med fleet here) far=$(med fleet far)
slower=$(awk -v a="$here" -v b="$far" 'BEGIN { print (a > b) ? a : b }')
sum=$(awk -v a="$here" -v b="$far" 'BEGIN { print a + b }')
echo "fleet ps (2 engines): both $both ms | this engine $here ms | far engine $far ms | both/slower $(ratio "$both" "$slower") | both/sum $(ratio "$both" "$sum")"
