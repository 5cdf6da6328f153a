#!/usr/bin/env bash
# Benchmark for `ds01-build create`: the whole command (identity lookup, validation, label plan, the
# image read, the create: through the Engine API here) vs the same plain `docker create` (identical
# argv: name, the ten `ds01.*` labels, `--network none`, image), and with DS01_BUILD_API=off
# (the image read and the create each one CLI process), interleaved in this one run: each
# round runs each once, in rotating order, each creating a fresh container (removed afterwards,
# untimed). Prints the medians and the ratios to docker (target <= 1.05 for the default path).
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

# The default path must be the API's (else this measures the CLI path twice).
via=$("$bin" create "$image" --name "$tag-via" --exact-name --format json -- --network none | jq -r .via)
docker rm -f "$tag-via" >/dev/null
[ "$via" = api ] || { echo "create took the $via path, not the Engine API" >&2; exit 1; }

ours_ms=()
cli_ms=()
docker_ms=()
for ((i = 0; i < rounds; i++)); do
  a="$tag-ours-$i"
  b="$tag-plain-$i"
  c="$tag-cli-$i"
  run_ours() {
    local t0; t0=$(now_ns)
    "$bin" create "$image" --name "$a" --exact-name -- --network none >/dev/null
    ours_ms+=("$(( ($(now_ns) - t0) / 1000 ))")
  }
  run_cli() {
    local t0; t0=$(now_ns)
    DS01_BUILD_API=off "$bin" create "$image" --name "$c" --exact-name -- --network none >/dev/null
    cli_ms+=("$(( ($(now_ns) - t0) / 1000 ))")
  }
  run_plain() {
    local t0; t0=$(now_ns)
    "${plain[@]//PLACEHOLDER/$b}" >/dev/null
    docker_ms+=("$(( ($(now_ns) - t0) / 1000 ))")
  }
  case $((i % 3)) in
    0) run_ours; run_plain; run_cli ;;
    1) run_plain; run_cli; run_ours ;;
    *) run_cli; run_ours; run_plain ;;
  esac
  docker rm -f "$a" "$b" "$c" >/dev/null
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
m_cli=$(printf '%s\n' "${cli_ms[@]}" | median)
m_docker=$(printf '%s\n' "${docker_ms[@]}" | median)
echo "rounds: $rounds (interleaved), times in microseconds, median"
printf 'ds01-build create            : %8.0f us\n' "$m_ours"
printf 'ds01-build, API off (2 CLIs) : %8.0f us\n' "$m_cli"
printf 'docker create                : %8.0f us\n' "$m_docker"
echo "ratio                        : $(ratio "$m_ours" "$m_docker")x (target <= 1.05x)"
echo "ratio, API off               : $(ratio "$m_cli" "$m_docker")x"
