#!/usr/bin/env bash
# Benchmarks for the build path. Prints medians and ratios measured in this one run.
#
#   1. label computation incl. git: `ds01-build build --dry-run` vs a bash baseline that computes the
#      same labels the seed's build.sh way (date, TAG split, git for revision/remote/dirty);
#   2. rebuild after one label change: --label-mode dockerfile vs args, against a fully cached build,
#      on the legacy builder and on BuildKit (Debian's 20.10 CLI /usr/bin/docker, DOCKER_BUILDKIT=0|1);
#   3. unchanged rebuild: steps re-run and whether the image ID is kept, on both builders.
#
# Needs: cargo, hyperfine, jq, a running dockerd, /usr/bin/docker (20.10). Usage: bench/build.sh [RUNS]
export DS01_BUILD_ENGINE=docker
source "$(dirname "$0")/lib.sh"
runs="${1:-15}"
owner="ds01bench-$$"
bench_cleanup() {
  docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$owner/" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  # Each rebuild with a changed label leaves the previous image untagged: remove those by label.
  docker images -q --filter "label=$owner.ubu-lts.io.github.JefferysDockers.base-prefix" |
    xargs -r docker rmi -f >/dev/null 2>&1 || true
}

# --- 1. label computation ---------------------------------------------------------------------
cat > "$work/seed-labels.sh" <<'SEED'
#!/usr/bin/env bash
# The seed's label computation (build.sh), plus the git facts ds01-build adds; prints the command.
set -euo pipefail
imageName="ubu-lts"; labelSchema="io.github.JefferysDockers"; imageRepoOwner="jefferys"
sourceRepoOwner="JefferysDockers"; imageRepoRootUrl="https://hub.docker.com/r"
sourceRepoRootUrl="https://github.com"; maintainer="Stuart R. Jefferys <stuart_jefferys@med.unc.edu>"
read -r TAG < examples/chain/ubu-lts/TAG
contentVersion="${TAG%%-*}"; sourceVersion="${TAG#*-}"
created="$(date "+%Y-%m-%dT%H:%M:%S%z")"; afterPos=$(( ${#created} - 2 ))
created="${created:0:${afterPos}}:${created:${afterPos}}"
revision="$(git rev-parse HEAD)"; origin="$(git remote get-url origin 2>/dev/null || true)"
dirty="$(git status --porcelain --untracked-files=no)"
NS="${imageRepoOwner}.${imageName}.${labelSchema}"
echo docker build \
  --label "${NS}.base-prefix=scratch" --label "${NS}.name=${imageName}" \
  --label "${NS}.home=${imageRepoRootUrl}/${imageRepoOwner}/${imageName}" \
  --label "${NS}.version=${TAG}" --label "${NS}.maintainer=${maintainer}" \
  --label "${NS}.source-version=${sourceVersion}" \
  --label "${NS}.source-home=${sourceRepoRootUrl}/${sourceRepoOwner}/${imageName}" \
  --label "${NS}.source-revision=${revision}${origin:+}${dirty:+}" \
  --label "${NS}.pull=${imageRepoOwner}/${imageName}:$TAG" \
  --label "${NS}.content-version=${contentVersion}" --label "${NS}.created=${created}" \
  --label "${NS}.label-schema-version=0.0.1" \
  --tag "${imageRepoOwner}/${imageName}:latest" --tag "${imageRepoOwner}/${imageName}:${contentVersion}" \
  --tag "${imageRepoOwner}/${imageName}:${contentVersion}-${sourceVersion}" -f Dockerfile . >/dev/null
SEED
chmod +x "$work/seed-labels.sh"
# Both run in a fresh clean clone of this repository (the state a CI or DockerHub build starts from),
# so neither pays for this work tree's uncommitted edits.
# A second after the checkout, `git status` rewrites the index so no entry is "racy" (modified in the
# same second the index was written), which would make every later status re-hash those files.
git clone -q "$PWD" "$work/repo"
sleep 1.1
git -C "$work/repo" status >/dev/null
(cd "$work/repo" && hyperfine -N --warmup 5 --runs $((runs * 4)) --export-json "$work/labels.json" \
  -n ds01-build "$bin build ubu-lts --dry-run --format json" \
  -n bash-seed "$work/seed-labels.sh" >/dev/null)
ours=$(hf_median_ms "$work/labels.json" ds01-build)
bash_t=$(hf_median_ms "$work/labels.json" bash-seed)
printf 'label computation incl. git, clean clone (median of %d): ds01-build %.2f ms, bash seed %.2f ms, ratio %sx\n' \
  $((runs * 4)) "$ours" "$bash_t" "$(ratio "$ours" "$bash_t")"

# --- 2. rebuild after one label change, per builder ------------------------------------------
# Both builders through Debian's 20.10 CLI (the 28.x CLI has BuildKit only with buildx).
builder_env() { # builder -> the environment for ds01-build
  case "$1" in
    legacy) echo "DS01_BUILD_ENGINE=/usr/bin/docker DOCKER_BUILDKIT=0" ;;
    buildkit) echo "DS01_BUILD_ENGINE=/usr/bin/docker DOCKER_BUILDKIT=1" ;;
  esac
}
build() { # builder mode value -> prints "ms steps id"
  local t0 t1 log
  t0=$(now_ms)
  # shellcheck disable=SC2046
  log=$(env $(builder_env "$1") "$bin" build ubu-lts --image "$owner/ubu-lts" \
        --created 2020-09-12T00:00:00+00:00 --label-mode "$2" --label "aaa.bench=$3" 2>&1 >"$work/out")
  t1=$(now_ms)
  local steps
  # Steps the engine ran, not from its cache: legacy "Step N/M" without "Using cache"; BuildKit
  # "#N [i/n] ..." without "#N CACHED" (it runs no step for LABEL or ARG).
  steps=$(printf '%s\n' "$log" | python3 -c '
import re, sys
log = sys.stdin.read()
if "\nStep " in "\n" + log:
    print(sum(1 for s in log.split("\nStep ")[1:] if " : FROM " not in s and "---> Using cache" not in s))
else:
    ids = {m.group(1) for m in re.finditer(r"^(#\d+) \[(?!internal)", log, re.M)}
    print(sum(1 for i in ids if not re.search("^" + i + " CACHED$", log, re.M)))')
  echo "$((t1 - t0)) $steps $(head -1 "$work/out")"
}

for builder in legacy buildkit; do
  for mode in dockerfile args; do
    key="$builder-$mode"
    build "$builder" "$mode" warm >/dev/null     # fill the cache for the Dockerfile's own steps
    : > "$work/$key.changed"; : > "$work/$key.cached"; : > "$work/$key.steps"
    for i in $(seq "$runs"); do
      read -r ms steps _ < <(build "$builder" "$mode" "v$i")
      echo "$ms" >> "$work/$key.changed"; echo "$steps" >> "$work/$key.steps"
      read -r ms _ _ < <(build "$builder" "$mode" "v$i")   # same labels again: fully cached
      echo "$ms" >> "$work/$key.cached"
    done
  done
done
for builder in legacy buildkit; do
  for mode in dockerfile args; do
    key="$builder-$mode"
    changed=$(median < "$work/$key.changed"); cached=$(median < "$work/$key.cached")
    steps=$(sort -n "$work/$key.steps" | uniq | tr '\n' ' ')
    printf 'rebuild after one label change, %-8s %-10s (median of %d): %s ms, steps re-run: %s; fully cached %s ms; ratio %.2fx\n' \
      "$builder" "$mode" "$runs" "$changed" "$steps" "$cached" "$(ratio "$changed" "$cached")"
  done
  printf '%s: dockerfile vs args mode after a label change: %.2fx\n' "$builder" \
    "$(ratio "$(median < "$work/$builder-dockerfile.changed")" "$(median < "$work/$builder-args.changed")")"
done
for mode in dockerfile args; do
  printf '%s mode after a label change: buildkit vs legacy %.2fx\n' "$mode" \
    "$(ratio "$(median < "$work/buildkit-$mode.changed")" "$(median < "$work/legacy-$mode.changed")")"
done

# --- 3. unchanged rebuild --------------------------------------------------------------------
for builder in legacy buildkit; do
  read -r _ _ id1 < <(build "$builder" dockerfile same)
  read -r ms steps id2 < <(build "$builder" dockerfile same)
  printf 'unchanged rebuild, %s: %s steps re-run, %s ms, image ID %s\n' "$builder" "$steps" "$ms" \
    "$([ "$id1" = "$id2" ] && echo "kept ($id1)" || echo "CHANGED ($id1 -> $id2)")"
done
