#!/usr/bin/env bash
# Benchmark for `ds01-build lineage` on a 20-image chain carrying 500 heritable labels (25 per
# image, all in ONE Dockerfile LABEL as `ds01-build build` writes them by default, so one history
# row per image), built FROM scratch here with unique names and removed at the end.
#
# Prints the medians of `lineage` (text and JSON), of its two engine calls alone and run back to back
# by a shell script (lineage runs them at the same time), and the ratio, all from this one run.
# Target: lineage < 100 ms.
#
# Needs: cargo, hyperfine, jq, python3, a running engine (DS01_BUILD_ENGINE, default docker).
# Usage: bench/lineage.sh [RUNS]
source "$(dirname "$0")/lib.sh"
runs="${1:-30}"
images=20
per_image=25
stem="ds01bench-lineage-$$"

# --- the chain --------------------------------------------------------------------------------
mkdir "$work/ctx"
ns="io.github.JefferysDockers"
parent=scratch
base=scratch
start=$(date +%s%3N)
for ((i = 1; i <= images; i++)); do
  prefix="bench.img$i"
  {
    echo "FROM $parent"
    printf 'LABEL "%s.%s.base-prefix"="%s"' "$prefix" "$ns" "$base"
    for ((j = 1; j < per_image - 1; j++)); do
      # Values with spaces and '=' exercise the unquoted-history heuristic.
      printf ' \\\n      "%s.%s.leaf%02d"="value %d of image %d x=%d"' "$prefix" "$ns" "$j" "$j" "$i" "$j"
    done
    printf ' \\\n      "%s.%s.label-schema-version"="0.0.1"\n' "$prefix" "$ns"
  } > "$work/Dockerfile"
  name="$stem-$i"
  bench_images+=("$name")
  "$engine" build -q --network none -t "$name" -f "$work/Dockerfile" "$work/ctx" >/dev/null 2>&1
  parent="$name"
  base="$prefix"
done
top="$stem-$images"
echo "built $images images in $(( $(date +%s%3N) - start )) ms"

# Sanity: the whole chain, conforming, 500 labels.
"$bin" lineage "$top" --engine "$engine" --format json > "$work/lineage.json"
python3 - "$work/lineage.json" "$images" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n = sum(len(i["labels"]) for i in r["chain"])
assert len(r["chain"]) == int(sys.argv[2]) and r["conforming"] and not r["problems"], r
print(f"lineage: {len(r['chain'])} images, {n} labels, current {r['current']}, conforming {r['conforming']}")
PY
echo "history rows: $("$engine" history -q "$top" | wc -l)"

# --- timing -----------------------------------------------------------------------------------
cat > "$work/floor.sh" <<FLOOR
#!/usr/bin/env bash
# The two engine calls lineage makes, nothing else.
"$engine" image inspect "$top" >/dev/null
"$engine" history --no-trunc --format '{{json .CreatedBy}}' "$top" >/dev/null
FLOOR
chmod +x "$work/floor.sh"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/t.json" \
  -n lineage-text "$bin lineage $top --engine $engine" \
  -n lineage-json "$bin lineage $top --format json --engine $engine" \
  -n two-engine-calls "$work/floor.sh" \
  -n image-inspect "$engine image inspect $top" \
  -n history "$engine history --no-trunc --format '{{json .CreatedBy}}' $top" >/dev/null
median_of() { hf_median_ms "$work/t.json" "$1"; }
text=$(median_of lineage-text)
floor=$(median_of two-engine-calls)
printf 'median lineage (text):             %7.1f ms   target < 100 ms: %s\n' "$text" \
  "$(awk -v t="$text" 'BEGIN { print (t < 100) ? "met" : "MISSED" }')"
printf 'median lineage (json):             %7.1f ms\n' "$(median_of lineage-json)"
printf 'median two calls in a row (bash):  %7.1f ms   (image inspect %.1f ms, history %.1f ms)\n' \
  "$floor" "$(median_of image-inspect)" "$(median_of history)"
printf 'ratio lineage / two calls in a row: %6.2fx  (lineage runs them at the same time)\n' \
  "$(ratio "$text" "$floor")"
