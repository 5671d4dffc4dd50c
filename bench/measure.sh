#!/bin/sh
# bench/measure.sh [BUILD_DIR [MPI_BUILD_DIR]] - re-run the measurements of
# docs/performance.md (pair sums, mollifier sums, 10^5 particles, random batches,
# Cucker-Smale Table 1 for one gamma, MPI np = 1, 2) and print them.  Run it on an
# idle machine; it takes about 3 minutes (plus the MPI part when MPI_BUILD_DIR,
# a build configured with --enable-mpi, is given).  Defaults: build, build-mpi.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd) || exit 1
mpibuild=${2:-$top/build-mpi}
plugin_path() { find "$1/plugins" -name .libs -type d | tr '\n' ':'; }
KINLAB_PLUGIN_PATH=$(plugin_path "$build")
KINLAB_PLUGINDIR=
export KINLAB_PLUGIN_PATH KINLAB_PLUGINDIR
k="$build/kinlab"
tmp=$(mktemp -d /tmp/kinlab-measure-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "== $(date -u) load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "== pair sum, d = 3, N = 20 000 (docs/performance.md, Results)"
for g in -3 0; do for t in 2 1; do "$k" bench --n 20000 --d 3 --gamma $g --threads $t --batch 100; echo; done; done
for g in -2.5 2; do "$k" bench --n 20000 --d 3 --gamma $g --threads 2 --naive-n 4000 --no-rhs; echo; done
echo "== pair sum, d = 2"
for g in -3 0; do "$k" bench --n 20000 --d 2 --gamma $g --threads 2 --no-rhs --naive-n 5000; echo; done
echo "== N = 10^5, d = 3, and peak memory"
/usr/bin/time -f "peak RSS %M KB, wall %e s" "$k" bench --n 100000 --d 3 --gamma -3 --naive-n 1000 --reps 1
echo "== mollifier sums: time per particle over N (csv: what,N,d,gamma,threads,seconds,...)"
for N in 2000 8000 32000 128000; do "$k" bench --n $N --d 3 --no-pairs --no-full --csv | tail -1; done
for N in 4000 16000 64000 256000; do "$k" bench --n $N --d 2 --no-pairs --no-full --csv | tail -1; done
echo "== 3-D BKW n = 40 (64 000 particles), one rhs"
"$k" bench --n 64000 --d 3 --gamma 0 --no-pairs --reps 3
echo "== random batches, d = 2, N = 10^5"
"$k" bench --n 100000 --d 2 --batch 100 --no-pairs --no-full --reps 3
echo "== Cucker-Smale: paper 004 Table 1, gamma = 1, no snapshots"
sed -e '/^variants:/,$d' "$top/examples/cs_table1.yaml" > "$tmp/cs1.yaml"
for al in remap exact; do
  for t in 1 2; do
    OMP_WAIT_POLICY=passive "$k" run "$tmp/cs1.yaml" --set model.gamma=1 --set model.alignment=$al \
      --set output.snapshots=false --out "$tmp/cs1-$al-$t" --quiet --threads $t &&
      echo "alignment $al, $t thread(s): wall $(tail -1 "$tmp/cs1-$al-$t/timeseries.csv" | cut -d, -f7) s"
  done
done
if [ -x "$mpibuild/kinlab" ] && command -v mpirun >/dev/null 2>&1; then
  echo "== MPI: bench/mpi_coulomb3d.yaml, one thread per rank (wall_s, energy, dissipation)"
  KINLAB_PLUGIN_PATH=$(plugin_path "$mpibuild")
  for n in 16 24; do
    for np in 1 2; do
      OMP_NUM_THREADS=1 mpirun --allow-run-as-root -np $np -x KINLAB_PLUGIN_PATH \
        -x KINLAB_PLUGINDIR -x OMP_NUM_THREADS "$mpibuild/kinlab" run \
        "$top/bench/mpi_coulomb3d.yaml" --set model.n=$n --out "$tmp/mpi$n-$np" --quiet &&
        echo "n = $n, np = $np: $(tail -1 "$tmp/mpi$n-$np/timeseries.csv" | cut -d, -f7,12,15)"
    done
  done
else
  echo "== MPI: skipped (no $mpibuild/kinlab built with --enable-mpi, or no mpirun)"
fi
