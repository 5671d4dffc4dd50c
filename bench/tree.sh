#!/bin/sh
# bench/tree.sh [BUILD_DIR] - re-run the treecode measurements of
# docs/performance.md ("Treecode"): crossover with the direct sum, time and
# error over N up to 10^6, error against cost for degrees 4..10, and the
# momentum/energy drift of a short run.  3-D Coulomb, 2 threads.  Run it on an
# idle machine; it takes about 15 minutes there.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd) || exit 1
KINLAB_PLUGIN_PATH=$(find "$build/plugins" -name .libs -type d | tr '\n' ':')
KINLAB_PLUGINDIR=
export KINLAB_PLUGIN_PATH KINLAB_PLUGINDIR
k="$build/kinlab"
tmp=$(mktemp -d /tmp/kinlab-tree-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
load() { echo "== $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg): $*"; }
summary() { grep -E "kinlab (direct|tree)|^tree \(|evaluations|^speed-up of the tree" ; }
load "crossover: direct and tree (default degree 7, theta 0.7) in one run"
for N in 10000 20000 30000 50000 100000; do
  "$k" bench --n $N --d 3 --gamma -3 --threads 2 --no-rhs --naive-n 1000 --tree --reps 3 | summary
done
load "tree alone, N = 3e5 (100 sampled targets; under perf when installed) and 1e6 (300)"
prof=; command -v perf > /dev/null 2>&1 && prof="perf record -q -o $tmp/perf.data"
$prof "$k" bench --n 300000 --d 3 --gamma -3 --threads 2 --no-rhs --no-direct --tree --sample 100 --reps 1 | summary
[ -n "$prof" ] && perf report -i "$tmp/perf.data" --no-children --stdio 2> /dev/null | grep -E '^ +[0-9]' | head -6
/usr/bin/time -f "peak RSS %M KB, wall %e s" \
  "$k" bench --n 1000000 --d 3 --gamma -3 --threads 2 --no-rhs --no-direct --tree --sample 300 --reps 1 | summary
load "error against cost, N = 1e5, degrees 4..10, theta 0.5, 0.7, 0.8"
for th in 0.5 0.7 0.8; do for deg in 4 5 6 7 8 9 10; do
  "$k" bench --n 100000 --d 3 --gamma -3 --threads 2 --no-rhs --no-direct --tree \
    --tree-degree $deg --tree-theta $th --sample 300 --reps 1 | summary
done; done
load "drift: bench/tree_drift.yaml (max |momentum change| / (mass sqrt(energy/mass)), max |dE|/E)"
"$k" run "$top/bench/tree_drift.yaml" --out "$tmp/drift" --quiet --jobs 1 --threads 2 &&
  for v in direct tree7 tree5 tree4; do
    awk -F, -v v=$v 'NR == 2 { m = $8; p1 = $9; p2 = $10; p3 = $11; e = $12 }
      NR > 1 { dp = ($9 - p1)^2 + ($10 - p2)^2 + ($11 - p3)^2; if (dp > mp) mp = dp;
               de = ($12 - e) / e; if (de < 0) de = -de; if (de > me) me = de }
      END { printf "%s: momentum drift %.3g, energy drift %.3g\n", v, sqrt(mp) / (m * sqrt(e / m)), me }' \
      "$tmp/drift/$v/timeseries.csv"
  done
