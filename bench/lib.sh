# Shared by the bench/*.sh scripts; source it first thing: `source "$(dirname "$0")/lib.sh"`.
#
# On sourcing: strict mode, the project root as working directory, a release build of the binary in
# $bin, a scratch directory $work, and an EXIT trap that calls the script's own `bench_cleanup` (if
# it defines one), removes the images listed in `bench_images` (newest first) from $engine, and
# removes $work.
set -euo pipefail
# Stop at the first error inside $(...) too (bash does not pass -e into command substitutions).
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

engine="${DS01_BUILD_ENGINE:-docker}"
cargo build --release --locked -q
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ds01-build"
work="$(mktemp -d)"
bench_images=()

bench_exit() {
  if declare -F bench_cleanup >/dev/null; then bench_cleanup || true; fi
  local i
  for ((i = ${#bench_images[@]} - 1; i >= 0; i--)); do
    "$engine" rmi -f "${bench_images[i]}" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap bench_exit EXIT

# The median of the numbers on stdin, one a line.
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

now_ms() { date +%s%3N; }
now_ns() { date +%s%N; }

# The median in milliseconds of the command named NAME in hyperfine's --export-json FILE.
hf_median_ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median * 1000' "$1"; }

# A / B to 3 decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# Build IMAGE with $engine: FROM scratch, a static busybox at /bin/busybox, `CMD busybox true` (a
# command, so `create` accepts it); registered for removal at exit.
busybox_image() {
  local ctx="$work/busybox-ctx"
  mkdir -p "$ctx"
  cp /bin/busybox "$ctx/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "true"]\n' >"$ctx/Dockerfile"
  bench_images+=("$1")
  "$engine" build --network none -q -t "$1" "$ctx" >/dev/null
}
