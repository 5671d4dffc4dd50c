#!/bin/sh
# tests/mpi.sh (only with ./configure --enable-mpi) - landau_particles split
# over 2 MPI ranks (mollifier sums by ranges, the direct pair sum by row blocks)
# gives the single-process results to round-off, and only rank 0 writes the run
# directory.
set -u
command -v mpirun >/dev/null 2>&1 || { echo "mpirun not found: skipped"; exit 77; }
kinlab="$KL_TOP_BUILDDIR/kinlab"
tmp=$(mktemp -d /tmp/kinlab-mpi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sets="--set model.n=16 --set time.t_final=0.2 --set time.output_every=0.1 --quiet"
# run NP TAG [SETS...]: the default experiment (2-D BKW) on NP ranks into $tmp/TAG-npNP
run() {
  np=$1 tag=$2
  shift 2
  mpirun --allow-run-as-root --oversubscribe -np "$np" -x KINLAB_PLUGIN_PATH -x KINLAB_PLUGINDIR \
    -x OMP_NUM_THREADS "$kinlab" run $sets "$@" --out "$tmp/$tag-np$np"
}
# Every column but wall_s agrees to 1e-12 (relative to max(1, |value|)).
same() {
  /usr/bin/python3 - "$tmp/$1-np1/timeseries.csv" "$tmp/$1-np2/timeseries.csv" "$1" <<'PY'
import csv, sys
a = list(csv.DictReader(open(sys.argv[1]))); b = list(csv.DictReader(open(sys.argv[2])))
assert len(a) == len(b), "row counts differ"
worst = 0.0
for ra, rb in zip(a, b):
    for k in ra:
        if k == "wall_s": continue
        x, y = float(ra[k]), float(rb[k])
        worst = max(worst, abs(x - y) / max(1.0, abs(x)))
print("%s: largest relative difference np 1 vs np 2: %.3g" % (sys.argv[3], worst))
sys.exit(0 if worst < 1e-12 else 1)
PY
}
# direct: the tiled pair sum split over ranks (row blocks + MPI_Allreduce);
# moments: the O(N) Maxwell pair sum on every rank.  Both split the mollifier sums.
for tag in direct moments; do
  run 1 $tag --set model.pair_sum=$tag || { echo "FAIL: $tag np 1"; exit 1; }
  run 2 $tag --set model.pair_sum=$tag || { echo "FAIL: $tag np 2"; exit 1; }
  same $tag || { echo "FAIL: $tag np 1 and np 2 differ"; exit 1; }
done
ls /tmp | grep -q "^kinlab-rank" && { echo "FAIL: rank scratch directories left in /tmp"; exit 1; }
echo "mpi: 2 passed, 0 failed"
