#!/usr/bin/env bash
# Benchmark for `ds01-build lineage` on a 20-image chain carrying 500 heritable labels (25 per
# image, all in ONE Dockerfile LABEL as `ds01-build build` writes them by default, so one history
# row per image), built FROM scratch here with unique names and removed at the end.
#
# Prints the medians of `lineage` (text and JSON), of its two engine calls alone and run back to back
# by a shell script (lineage runs them at the same time), and the ratio, all from this one run.
# Target: lineage < 100 ms.
#
# Needs: cargo, hyperfine, python3, a running engine (DS01_BUILD_ENGINE, default docker).
# Usage: bench/lineage.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"
engine="${DS01_BUILD_ENGINE:-docker}"
images=20
per_image=25
cargo build --release --locked -q
bin="$PWD/target/release/ds01-build"
work="$(mktemp -d)"
stem="ds01bench-lineage-$$"
built=()
cleanup() {
  for ((i = ${#built[@]} - 1; i >= 0; i--)); do
    "$engine" rmi -f "${built[i]}" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

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
  built+=("$name")
  "$engine" build -q --network none -t "$name" -f "$work/Dockerfile" "$work/ctx" >/dev/null 2>&1
  parent="$name"
  base="$prefix"
done
top="$stem-$images"
echo "built $images images in $(( $(date +%s%3N) - start )) ms"

# Sanity: the whole chain, conforming, 500 labels.
"$bin" --engine "$engine" lineage "$top" --format json > "$work/lineage.json"
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
  -n lineage-text "$bin --engine $engine lineage $top" \
  -n lineage-json "$bin --engine $engine lineage $top --format json" \
  -n two-engine-calls "$work/floor.sh" \
  -n image-inspect "$engine image inspect $top" \
  -n history "$engine history --no-trunc --format '{{json .CreatedBy}}' $top" >/dev/null
python3 - "$work/t.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
text, js, floor = r["lineage-text"], r["lineage-json"], r["two-engine-calls"]
print(f"median lineage (text):             {text:7.1f} ms   target < 100 ms: {'met' if text < 100 else 'MISSED'}")
print(f"median lineage (json):             {js:7.1f} ms")
print(f"median two calls in a row (bash):  {floor:7.1f} ms   (image inspect {r['image-inspect']:.1f} ms, history {r['history']:.1f} ms)")
print(f"ratio lineage / two calls in a row: {text / floor:6.2f}x  (lineage runs them at the same time)")
PY
