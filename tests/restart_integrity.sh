#!/bin/sh
# tests/restart_integrity.sh - `kinlab run --restart` continues only what was
# run, with the real plugins (issue 13; the file-level cases are in test_run.c):
#  - an adaptive integrator's step size is restored: dopri54 stopped after 13
#    steps and continued equals an uninterrupted run (rhs_evals, wall_s aside);
#  - an edited config.resolved.yaml (another integrator, another gamma) and a
#    checkpoint copied from another experiment are refused, exit 2, naming the key;
#  - a missing checkpoint or snapshots.h5 is refused, exit 5, naming the file;
#  - a directory being written is locked: a second --restart or run --force of
#    it fails at once, exit 5, "in use by process PID"; so do the base and a
#    variant directory of a multi-variant run in progress.
set -u
kinlab="$KL_TOP_BUILDDIR/kinlab"
tmp=$(mktemp -d /tmp/kinlab-restart-XXXXXX)
pids=""
# stop_started: SIGINT to the kinlab processes started here and to their children.
stop_started() {
  for p in $pids; do
    for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do kill -INT "$c" 2>/dev/null; done
    kill -INT "$p" 2>/dev/null
  done
  wait
  pids=""
}
trap 'stop_started; rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
# expect CODE TEXT COMMAND...: the exit status, and TEXT in stderr.
expect() {
  code=$1 text=$2
  shift 2
  "$@" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq "$code" ] && { [ -z "$text" ] || grep -qF -- "$text" "$tmp/err"; }; then ok; else
    bad "$* exited $rc, expected $code and '$text' in:"
    cat "$tmp/err"
  fi
}
# The time series without the columns a restart may change (see docs/integrators.md).
strip() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wall_s" || $i == "rhs_evals") skip[i] = 1 }
    { for (i = 1; i <= NF; i++) if (!skip[i]) printf "%s,", $i; print "" }' "$1"
}
# wait_for FILE [TEXT]: until FILE exists [and holds TEXT] (at most 30 s).
wait_for() {
  i=0
  while [ $i -lt 600 ]; do
    if [ $# -eq 1 ]; then [ -e "$1" ] && return 0
    else [ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0
    fi
    sleep 0.05
    i=$((i + 1))
  done
  return 1
}
small="--set model.n=10 --set time.t_final=1 --set time.output_every=0.25"

# 1. The adaptive step size is restored at restart.
adaptive="$small --set integrator.type=dopri54"
"$kinlab" run --quiet --out "$tmp/full" $adaptive || bad "dopri54 reference run"
expect 4 "time.max_steps = 13" "$kinlab" run --quiet --out "$tmp/cut" $adaptive --set time.max_steps=13
expect 0 "" "$kinlab" run --quiet --restart "$tmp/cut" --set time.max_steps=0
strip "$tmp/full/timeseries.csv" >"$tmp/a.csv"
strip "$tmp/cut/timeseries.csv" >"$tmp/b.csv"
if cmp -s "$tmp/a.csv" "$tmp/b.csv"; then ok; else
  bad "dopri54 restarted time series differs from the uninterrupted run"
  diff "$tmp/a.csv" "$tmp/b.csv" | head
fi

# 2. Another configuration than the checkpoint's.
"$kinlab" run --quiet --out "$tmp/edit" $small --set model.kernel.regime=any --set time.max_steps=5 2>/dev/null
cfg="$tmp/edit/config.resolved.yaml"
cp "$cfg" "$tmp/config.yaml"
sed -i 's/type: rk4/type: dopri54/' "$cfg"
expect 2 "integrator.type rk4 -> dopri54" "$kinlab" run --quiet --restart "$tmp/edit" --set time.max_steps=0
cp "$tmp/config.yaml" "$cfg"
sed -i 's/gamma: 0$/gamma: -1/' "$cfg"
expect 2 "model.kernel.gamma 0 -> -1" "$kinlab" run --quiet --restart "$tmp/edit" --set time.max_steps=0
cp "$tmp/config.yaml" "$cfg"
"$kinlab" run --quiet --out "$tmp/other" $small --set model.kernel.regime=any --set model.kernel.C=0.125 --set time.max_steps=5 2>/dev/null
cp "$tmp/other/checkpoint.h5" "$tmp/other/timeseries.csv" "$tmp/edit/"
expect 2 "model.kernel.C 0.125 -> 0.0625" "$kinlab" run --quiet --restart "$tmp/edit" --set time.max_steps=0

# 3. Missing files.
"$kinlab" run --quiet --out "$tmp/gone" $small --set time.max_steps=30 2>/dev/null
cp -r "$tmp/gone" "$tmp/gone2"
rm "$tmp/gone/checkpoint.h5"
expect 5 "checkpoint.h5 is missing" "$kinlab" run --quiet --restart "$tmp/gone" --set time.max_steps=0
rm "$tmp/gone2/snapshots.h5"
expect 5 "snapshots.h5 is missing" "$kinlab" run --quiet --restart "$tmp/gone2" --set time.max_steps=0

# 4. Two processes on one directory.
"$kinlab" run --quiet --out "$tmp/busy" --set model.n=10 --set time.t_final=1000 --set time.max_steps=2 2>/dev/null
# A background job of a script starts with SIGINT and SIGQUIT ignored, and kinlab
# keeps an ignored stop signal ignored (nohup): env --default-signal gives them back.
env --default-signal=INT,QUIT "$kinlab" run --quiet --restart "$tmp/busy" --set time.max_steps=0 2>/dev/null &
first=$!
pids="$first"
if wait_for "$tmp/busy/.kinlab-run.lock" "$first"; then
  expect 5 "$tmp/busy is in use by process $first" "$kinlab" run --quiet --restart "$tmp/busy" --set time.max_steps=0
  expect 5 "$tmp/busy is in use by process $first" "$kinlab" run --quiet --force --out "$tmp/busy"
  [ -f "$tmp/busy/checkpoint.h5" ] && ok || bad "--force removed files of a run in progress"
else
  bad "the first --restart did not take the lock"
fi
kill -INT $first
wait $first
rc=$?
pids=""
[ $rc -eq 130 ] && ok || bad "the first --restart exited $rc after SIGINT, expected 130"
# Released at exit: the directory can be continued again.
expect 4 "time.max_steps = 20" "$kinlab" run --quiet --restart "$tmp/busy" --set time.max_steps=20

# 5. A multi-variant run: the parent locks the base, each variant process its directory.
cat >"$tmp/variants.yaml" <<'EOF'
name: two
model: {type: landau_particles, d: 2, n: 10, box: 4, mollifier: gaussian,
        kernel: {type: power_law, gamma: 0, C: 0.0625}}
initial: bkw
integrator: {type: rk4, dt: 0.01}
time: {t_final: 1000}
output: {snapshots: false}
variants: [{name: a, set: {model.n: 10}}, {name: b, set: {model.n: 11}}]
EOF
env --default-signal=INT,QUIT "$kinlab" run --quiet --jobs 2 --out "$tmp/multi" "$tmp/variants.yaml" 2>/dev/null &
parent=$!
pids="$parent"
# config.resolved.yaml is written after the variant's lock is taken.
if wait_for "$tmp/multi/.kinlab-run.lock" "$parent" && wait_for "$tmp/multi/a/config.resolved.yaml"; then
  child=$(cat "$tmp/multi/a/.kinlab-run.lock")
  expect 5 "$tmp/multi is in use by process $parent" "$kinlab" run --quiet --restart "$tmp/multi"
  expect 5 "$tmp/multi/a is in use by process $child" "$kinlab" run --quiet --restart "$tmp/multi/a"
else
  bad "the multi-variant run did not lock its directories"
fi
stop_started

echo "restart integrity: $pass passed, $fail failed"
[ $fail -eq 0 ]
