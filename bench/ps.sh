#!/usr/bin/env bash
# Benchmark for `ds01-build ps --all-users`: owners of every container, vs a bash baseline that
# resolves owners the way DS01's scripts do (docker-utils.sh ds01_get_container_owner: for each
# container one `docker inspect` of ds01.user, then a second of aime.mlc.USER when that is empty).
#
# Creates 200 and then 1000 containers (or the SIZES given) with plain `docker create` (FROM scratch
# busybox image, a mix of ds01.*-only, legacy-only and mixed labels; names ds01bench-ps-PID-N),
# times both readers with hyperfine, prints medians, the ratio, each reader's engine-call count, and checks that both resolve
# the same owners. Everything it created is removed at the end.
#
# Needs: cargo, hyperfine, jq, /bin/busybox, a running docker engine.
# Usage: bench/ps.sh [OURS_RUNS] [BASELINE_RUNS] [SIZES...]  (container counts; default 200 1000)
export DS01_BUILD_ENGINE=docker
source "$(dirname "$0")/lib.sh"
ours_runs="${1:-10}"
base_runs="${2:-3}"
sizes=("${@:3}")
((${#sizes[@]})) || sizes=(200 1000)
prefix="ds01bench-ps-$$"
image="$prefix-img"

bench_cleanup() {
  docker ps -a -q --filter "name=^$prefix-" | xargs -r -n 100 docker rm -f >/dev/null 2>&1 || true
}
busybox_image "$image"

# Container i gets: 0 ds01.* only, 1 legacy only, 2 both, 3 legacy only with an empty ds01.user.
create_one() {
  local i="$1" user="user$(($1 % 7))"
  local -a labels
  case $((i % 4)) in
    0) labels=(--label "ds01.user=$user" --label ds01.managed=true --label ds01.interface=atomic) ;;
    1) labels=(--label "aime.mlc=$user" --label "aime.mlc.USER=$user" --label aime.mlc.DS01_MANAGED=true) ;;
    2) labels=(--label "ds01.user=$user" --label "aime.mlc.USER=$user" --label ds01.managed=true) ;;
    3) labels=(--label "ds01.user=" --label "aime.mlc.USER=$user" --label aime.mlc.NAME=box) ;;
  esac
  docker create --network none --name "$prefix-$i" "${labels[@]}" "$image" >/dev/null
}

# Create containers up to $1 (4 at a time).
have=0
grow_to() {
  local i
  for ((i = have; i < $1; i++)); do
    create_one "$i" &
    if (((i + 1) % 4 == 0)); then wait; fi
  done
  wait
  have=$1
}

cat >"$work/baseline.sh" <<'BASH'
#!/usr/bin/env bash
# DS01's ownership fallback (scripts/lib/docker-utils.sh), applied to every container.
ds01_get_container_label() {
  docker inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null
}
ds01_get_container_owner() {
  local owner
  owner=$(ds01_get_container_label "$1" "ds01.user")
  if [[ -z "$owner" ]]; then
    owner=$(ds01_get_container_label "$1" "aime.mlc.USER")
  fi
  echo "$owner"
}
for c in $(docker ps -a --format '{{.Names}}'); do
  echo "$c $(ds01_get_container_owner "$c")"
done
BASH
chmod +x "$work/baseline.sh"

echo "ds01-build ps --all-users vs DS01's bash owner fallback (docker $(docker version --format '{{.Server.Version}}'), $(nproc) cores)"
printf '%-11s %-8s %-13s %-13s %-7s %-22s %s\n' containers total ds01-build bash ratio "engine calls ours/bash" "owners agree"
for n in "${sizes[@]}"; do
  grow_to "$n"
  total=$(docker ps -a -q | wc -l)
  hyperfine -N --warmup 1 --runs "$ours_runs" --export-json "$work/ours-$n.json" \
    -n ours "$bin ps --all-users --format json" >/dev/null
  hyperfine --warmup 0 --runs "$base_runs" --export-json "$work/bash-$n.json" \
    -n bash "$work/baseline.sh" >/dev/null
  ours=$(hf_median_ms "$work/ours-$n.json" ours)
  bash_t=$(hf_median_ms "$work/bash-$n.json" bash)
  ratio=$(printf '%.1f' "$(ratio "$bash_t" "$ours")")
  calls=$("$bin" -v ps --all-users --format json 2>&1 >/dev/null | grep -c '^+ ')
  # The baseline's calls: one ps, one inspect per container, one more where ds01.user is empty.
  bash_calls=$(bash -x "$work/baseline.sh" 2>&1 >/dev/null | grep -c '^++* docker ')
  # Same owners for this run's containers?
  "$bin" ps --all-users --format json |
    jq -r --arg p "$prefix-" '.[] | select(.name | startswith($p)) | "\(.name) \(.owner.user // "")"' |
    sort >"$work/ours.txt"
  "$work/baseline.sh" | grep "^$prefix-" | sort >"$work/bash.txt"
  agree=$(cmp -s "$work/ours.txt" "$work/bash.txt" && echo yes || echo NO)
  printf '%-11s %-8s %-13s %-13s %-7s %-22s %s\n' "$n" "$total" \
    "$(printf '%.0f ms' "$ours")" "$(printf '%.0f ms' "$bash_t")" "${ratio}x" "$calls / $bash_calls" "$agree"
done
