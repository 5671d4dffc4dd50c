#!/bin/sh
# tests/signal_restart.sh - SIGINT during `kinlab run` writes a checkpoint and
# exits 130 with complete files; `kinlab run --restart` then finishes the run,
# and its time series equals an uninterrupted run's bit for bit (wall_s aside).
set -u
kinlab="$KL_TOP_BUILDDIR/kinlab"
tmp=$(mktemp -d /tmp/kinlab-signal-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sets="--set model.n=12 --set time.t_final=3 --set time.output_every=0.1"
"$kinlab" run --quiet --out "$tmp/full" $sets || { echo "FAIL: reference run"; exit 1; }
# A background job of a script starts with SIGINT and SIGQUIT ignored, and kinlab
# keeps an ignored stop signal ignored (nohup): env --default-signal gives them back.
env --default-signal=INT,QUIT "$kinlab" run --quiet --out "$tmp/cut" $sets &
pid=$!
# Interrupt once a few output rows are written (the CSV grows under a temporary name).
i=0
while [ $i -lt 600 ]; do
  n=$(cat "$tmp"/cut/timeseries.csv.tmp.* 2>/dev/null | wc -l)
  [ "$n" -ge 4 ] && break
  sleep 0.05
  i=$((i + 1))
done
kill -INT $pid
wait $pid
rc=$?
fail=0
if [ $rc -ne 130 ]; then echo "FAIL: interrupted run exited $rc, expected 130"; fail=1; fi
for f in checkpoint.h5 timeseries.csv snapshots.h5 summary.json config.resolved.yaml; do
  [ -s "$tmp/cut/$f" ] || { echo "FAIL: $f missing after SIGINT"; fail=1; }
done
if ls "$tmp"/cut/*.tmp.* >/dev/null 2>&1; then echo "FAIL: temporary files left"; fail=1; fi
grep -q '"status": "interrupted"' "$tmp/cut/summary.json" || { echo "FAIL: summary status"; fail=1; }
"$kinlab" run --quiet --restart "$tmp/cut" || { echo "FAIL: restart"; fail=1; }
strip() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wall_s") w = i }
  { for (i = 1; i <= NF; i++) if (i != w) printf "%s,", $i; print "" }' "$1"; }
strip "$tmp/full/timeseries.csv" > "$tmp/a.csv"
strip "$tmp/cut/timeseries.csv" > "$tmp/b.csv"
cmp -s "$tmp/a.csv" "$tmp/b.csv" || { echo "FAIL: restarted time series differs"; diff "$tmp/a.csv" "$tmp/b.csv" | head; fail=1; }
if [ $fail -eq 0 ]; then echo "signal restart: 1 passed, 0 failed"; else echo "signal restart: 0 passed, 1 failed"; fi
exit $fail
