#!/bin/sh
# tests/mpi.sh (only with ./configure --enable-mpi) - the Landau pair sum split
# over 2 MPI ranks gives the single-process results to round-off, and only
# rank 0 writes the run directory.
set -u
command -v mpirun >/dev/null 2>&1 || { echo "mpirun not found: skipped"; exit 77; }
kinlab="$KL_TOP_BUILDDIR/kinlab"
tmp=$(mktemp -d /tmp/kinlab-mpi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sets="--set model.n=16 --set time.t_final=0.2 --set time.output_every=0.1 --quiet"
run() {
  mpirun --allow-run-as-root --oversubscribe -np "$1" -x KINLAB_PLUGIN_PATH -x KINLAB_PLUGINDIR \
    -x OMP_NUM_THREADS "$kinlab" run $sets --out "$tmp/np$1"
}
run 1 || { echo "FAIL: np 1"; exit 1; }
run 2 || { echo "FAIL: np 2"; exit 1; }
ls /tmp | grep -q "^kinlab-rank" && { echo "FAIL: rank scratch directories left in /tmp"; exit 1; }
# Every column but wall_s agrees to 1e-12 (relative to max(1, |value|)).
/usr/bin/python3 - "$tmp/np1/timeseries.csv" "$tmp/np2/timeseries.csv" <<'PY' || exit 1
import csv, sys
a = list(csv.DictReader(open(sys.argv[1]))); b = list(csv.DictReader(open(sys.argv[2])))
assert len(a) == len(b), "row counts differ"
worst = 0.0
for ra, rb in zip(a, b):
    for k in ra:
        if k == "wall_s": continue
        x, y = float(ra[k]), float(rb[k])
        worst = max(worst, abs(x - y) / max(1.0, abs(x)))
print("largest relative difference np 1 vs np 2: %.3g" % worst)
sys.exit(0 if worst < 1e-12 else 1)
PY
echo "mpi: 1 passed, 0 failed"
