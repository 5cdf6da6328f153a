#!/usr/bin/env bash
# Benchmark for `ds01-build create`: the whole command (identity lookup, validation, label plan, one
# `docker create`) vs the same plain `docker create` (identical argv: name, the ten `ds01.*` labels,
# `--network none`, image), run interleaved in this one run: for each round, one of each, in
# alternating order, each creating a fresh container (removed afterwards, untimed). Prints the
# medians and the ratio ds01-build / docker (target <= 1.05).
#
# Needs: cargo, jq, /bin/busybox, a running docker engine. Usage: bench/create.sh [ROUNDS]
export DS01_BUILD_ENGINE=docker
source "$(dirname "$0")/lib.sh"
rounds="${1:-40}"
tag="ds01bench-create-$$"
image="$tag:img"
bench_cleanup() {
  docker ps -aq --filter "label=ds01.image=$image" | xargs -r docker rm -f >/dev/null 2>&1 || true
}
busybox_image "$image"

# The plain command: exactly the argv ds01-build runs, with a placeholder name substituted per run.
mapfile -t plain < <("$bin" create "$image" --name PLACEHOLDER --exact-name --dry-run --format json \
  -- --network none | jq -r '.argv[]')

ours_ms=()
docker_ms=()
for ((i = 0; i < rounds; i++)); do
  a="$tag-ours-$i"
  b="$tag-plain-$i"
  run_ours() {
    local t0; t0=$(now_ns)
    "$bin" create "$image" --name "$a" --exact-name -- --network none >/dev/null
    ours_ms+=("$(( ($(now_ns) - t0) / 1000 ))")
  }
  run_plain() {
    local t0; t0=$(now_ns)
    "${plain[@]//PLACEHOLDER/$b}" >/dev/null
    docker_ms+=("$(( ($(now_ns) - t0) / 1000 ))")
  }
  if ((i % 2)); then run_ours; run_plain; else run_plain; run_ours; fi
  docker rm -f "$a" "$b" >/dev/null
done

# Sanity: both produced the same labels apart from the names and the timestamp.
"$bin" create "$image" --name "$tag-check-a" --exact-name -- --network none >/dev/null
"${plain[@]//PLACEHOLDER/$tag-check-b}" >/dev/null
strip='del(.["ds01.name"], .["ds01.container_name"], .["ds01.created_at"])'
diff <(docker inspect --format '{{json .Config.Labels}}' "$tag-check-a" | jq -S "$strip") \
     <(docker inspect --format '{{json .Config.Labels}}' "$tag-check-b" | jq -S "$strip") \
  || { echo "label sets differ" >&2; exit 1; }
docker rm -f "$tag-check-a" "$tag-check-b" >/dev/null

m_ours=$(printf '%s\n' "${ours_ms[@]}" | median)
m_docker=$(printf '%s\n' "${docker_ms[@]}" | median)
echo "rounds: $rounds (interleaved), times in microseconds, median"
printf 'ds01-build create : %8.0f us\n' "$m_ours"
printf 'docker create     : %8.0f us\n' "$m_docker"
echo "ratio             : $(ratio "$m_ours" "$m_docker")x (target <= 1.05x)"
