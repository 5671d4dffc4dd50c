#!/bin/sh
# tests/signal_variants.sh - stop signals and runs with variants (issue 13):
#  1. SIGTERM to the parent of a `--jobs 2` run: exit 143, the running variants
#     are told (checkpoint, summary "interrupted"), the third is not started,
#     the message lists them with the --restart command, no *.tmp.* is left,
#     and --restart completes them all;
#  2. SIGKILL of the parent: no variant process survives it by more than a second
#     (each gets SIGTERM from PR_SET_PDEATHSIG and writes its checkpoint);
#  3. SIGHUP to a `--jobs 1` run with variants: exit 129, incomplete variants listed;
#  4. SIGQUIT to a single run: exit 131 with a checkpoint;
#  5. SIGTERM while --force removes a large old run directory: the stop is not
#     lost (exit 143), nothing is computed;
#  6. SIGKILL of one variant process: the parent fails naming the signal, no
#     in-progress file is left, --restart completes every variant.
#  7. SIGHUP ignored when kinlab starts (nohup): it stays ignored, in the parent
#     and the variant processes, and the run completes (exit 0).
#  8. The same with SIGHUP to the whole process group every 0.05 s from the start
#     (the child that sets the variants up made it its default: "killed by a signal").
set -u
kinlab="$KL_TOP_BUILDDIR/kinlab"
tmp=$(mktemp -d /tmp/kinlab-sigvar-XXXXXX)
pids=""
trap 'for p in $pids; do kill -KILL $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
fail=0
passed=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

"$kinlab" default > "$tmp/v.yaml"
sed -i 's/^time:.*/time: {t_final: 5, output_every: 0.1}/' "$tmp/v.yaml"
cat >> "$tmp/v.yaml" <<'EOF'
variants:
  - {name: a, set: {model.n: 12}}
  - {name: b, set: {model.n: 13}}
  - {name: c, set: {model.n: 14}}
EOF
sed 's/^variants:.*//; /^  - {name/d' "$tmp/v.yaml" > "$tmp/single.yaml"
sed -i 's/n: 20/n: 12/' "$tmp/single.yaml"

# Wait (at most 60 s) until each named variant directory has >= 3 rows in its
# in-progress time series.
wait_rows() {
  i=0
  while [ $i -lt 1200 ]; do
    ok=1
    for d in "$@"; do
      n=$(cat "$d"/timeseries.csv.tmp.* 2>/dev/null | wc -l)
      [ "$n" -ge 3 ] || ok=0
    done
    [ $ok -eq 1 ] && return 0
    sleep 0.05
    i=$((i + 1))
  done
  return 1
}
status_of() { sed -n 's/.*"status": "\([a-z]*\)".*/\1/p' "$1/summary.json" 2>/dev/null; }
no_tmp() { [ -z "$(find "$1" -name '*.tmp.*' 2>/dev/null)" ]; }

# 1. SIGTERM, --jobs 2
r="$tmp/term"
"$kinlab" run "$tmp/v.yaml" --out "$r" --jobs 2 --quiet 2> "$tmp/term.err" &
pid=$!
pids="$pids $pid"
wait_rows "$r/a" "$r/b" || bad "SIGTERM: the variants did not start"
kill -TERM $pid
wait $pid
rc=$?
f0=$fail
[ $rc -eq 143 ] || bad "SIGTERM to --jobs 2: exit $rc, expected 143"
for v in a b; do
  [ -s "$r/$v/checkpoint.h5" ] || bad "SIGTERM: variant $v has no checkpoint"
  [ "$(status_of "$r/$v")" = interrupted ] || bad "SIGTERM: variant $v summary '$(status_of "$r/$v")'"
done
[ -e "$r/c" ] && bad "SIGTERM: variant c was started after the stop"
grep -q 'did not complete: a (interrupted), b (interrupted), c (not started)' "$tmp/term.err" ||
  bad "SIGTERM: message does not list the variants: $(cat "$tmp/term.err")"
grep -q "kinlab run --restart $r" "$tmp/term.err" || bad "SIGTERM: no --restart command"
no_tmp "$r" || bad "SIGTERM: temporary files left: $(find "$r" -name '*.tmp.*')"
"$kinlab" run --restart "$r" --jobs 2 --quiet || bad "SIGTERM: --restart failed"
for v in a b c; do
  [ "$(status_of "$r/$v")" = completed ] || bad "SIGTERM: after --restart variant $v is '$(status_of "$r/$v")'"
done
[ -s "$r/comparison.csv" ] || bad "SIGTERM: no comparison.csv after --restart"
[ $fail -eq $f0 ] && passed=$((passed + 1))

# 2. SIGKILL of the parent
r="$tmp/kill"
"$kinlab" run "$tmp/v.yaml" --out "$r" --jobs 2 --quiet 2>/dev/null &
pid=$!
pids="$pids $pid"
f0=$fail
wait_rows "$r/a" "$r/b" || bad "SIGKILL: the variants did not start"
children=$(ps -o pid= --ppid $pid)
[ -n "$children" ] || bad "SIGKILL: no variant processes found"
pids="$pids $children"
kill -KILL $pid
wait $pid 2>/dev/null
sleep 1
for c in $children; do
  st=$(ps -o stat= -p "$c" 2>/dev/null)
  case "$st" in
  "" | Z*) ;;
  *) bad "SIGKILL: variant process $c survived its parent by 1 s (state $st)" ;;
  esac
done
for v in a b; do
  [ "$(status_of "$r/$v")" = interrupted ] || bad "SIGKILL: variant $v summary '$(status_of "$r/$v")'"
done
[ $fail -eq $f0 ] && passed=$((passed + 1))

# 3. SIGHUP, --jobs 1
r="$tmp/hup"
"$kinlab" run "$tmp/v.yaml" --out "$r" --jobs 1 --quiet 2> "$tmp/hup.err" &
pid=$!
pids="$pids $pid"
f0=$fail
wait_rows "$r/a" || bad "SIGHUP: the first variant did not start"
kill -HUP $pid
wait $pid
rc=$?
[ $rc -eq 129 ] || bad "SIGHUP to --jobs 1: exit $rc, expected 129"
[ "$(status_of "$r/a")" = interrupted ] || bad "SIGHUP: variant a summary '$(status_of "$r/a")'"
grep -q 'stopped by SIGHUP: 3 of 3 variants did not complete: a (interrupted), b (not started), c (not started)' "$tmp/hup.err" ||
  bad "SIGHUP: message: $(cat "$tmp/hup.err")"
no_tmp "$r" || bad "SIGHUP: temporary files left"
[ $fail -eq $f0 ] && passed=$((passed + 1))

# 4. SIGQUIT, single run
r="$tmp/quit"
# A background job of a script starts with SIGINT and SIGQUIT ignored, and kinlab
# keeps an ignored stop signal ignored (nohup): env --default-signal gives them back.
env --default-signal=INT,QUIT "$kinlab" run "$tmp/single.yaml" --out "$r" --quiet 2> "$tmp/quit.err" &
pid=$!
pids="$pids $pid"
f0=$fail
wait_rows "$r" || bad "SIGQUIT: the run did not start"
kill -QUIT $pid
wait $pid
rc=$?
[ $rc -eq 131 ] || bad "SIGQUIT: exit $rc, expected 131"
[ -s "$r/checkpoint.h5" ] || bad "SIGQUIT: no checkpoint"
[ "$(status_of "$r")" = interrupted ] || bad "SIGQUIT: summary '$(status_of "$r")'"
grep -q "stopped by SIGQUIT at t = " "$tmp/quit.err" || bad "SIGQUIT: message: $(cat "$tmp/quit.err")"
no_tmp "$r" || bad "SIGQUIT: temporary files left"
[ $fail -eq $f0 ] && passed=$((passed + 1))

# 5. SIGTERM while --force removes an old run directory of 20 000 files
r="$tmp/force"
mkdir -p "$r/old"
echo "kinlab run directory" > "$r/.kinlab-run"
(cd "$r/old" && seq 1 20000 | xargs touch)
"$kinlab" run "$tmp/single.yaml" --out "$r" --force --quiet 2> "$tmp/force.err" &
pid=$!
pids="$pids $pid"
f0=$fail
i=0
while [ $i -lt 2000 ] && [ "$(ls -f "$r/old" 2>/dev/null | wc -l)" -gt 19990 ]; do
  sleep 0.01
  i=$((i + 1))
done
kill -TERM $pid
left=$(ls -f "$r/old" 2>/dev/null | wc -l)
wait $pid
rc=$?
[ $rc -eq 143 ] || bad "SIGTERM during --force removal: exit $rc, expected 143 ($(cat "$tmp/force.err"))"
if [ "$left" -gt 0 ]; then # the signal came during the removal
  grep -q "before the run started: nothing was computed" "$tmp/force.err" ||
    bad "SIGTERM during --force removal: message: $(cat "$tmp/force.err")"
  [ -e "$r/timeseries.csv" ] && bad "SIGTERM during --force removal: a run was computed"
else
  echo "note: the removal ended before the signal; case 5 checked the exit code only"
fi
[ $fail -eq $f0 ] && passed=$((passed + 1))

# 6. SIGKILL of one variant process (the out-of-memory killer): the parent fails
#    naming the signal, removes the dead child's in-progress files, and
#    --restart completes every variant (the killed one from the start: it had
#    published nothing).
r="$tmp/oomkill"
f0=$fail
"$kinlab" run "$tmp/v.yaml" --out "$r" --jobs 2 --quiet 2> "$tmp/oomkill.err" &
pid=$!
pids="$pids $pid"
wait_rows "$r/a" "$r/b" || bad "variant SIGKILL: the variants did not start"
victim=$(ps -o pid= --ppid $pid | head -n 1)
[ -n "$victim" ] && kill -KILL $victim
wait $pid
rc=$?
[ $rc -ne 0 ] || bad "variant SIGKILL: exit 0"
grep -q "killed by signal 9" "$tmp/oomkill.err" || bad "variant SIGKILL: message: $(cat "$tmp/oomkill.err")"
no_tmp "$r" || bad "variant SIGKILL: in-progress files left: $(find "$r" -name '*.tmp.*')"
"$kinlab" run --restart "$r" --quiet 2> "$tmp/oomkill2.err"
rc=$?
[ $rc -eq 0 ] || bad "variant SIGKILL: --restart exit $rc ($(cat "$tmp/oomkill2.err"))"
for v in a b c; do
  [ "$(status_of "$r/$v")" = completed ] || bad "variant SIGKILL: variant $v '$(status_of "$r/$v")' after --restart"
done
[ $fail -eq $f0 ] && passed=$((passed + 1))

# 7. nohup: a SIGHUP ignored at start stays ignored (it stopped the run, exit 129)
r="$tmp/nohup"
f0=$fail
(trap '' HUP; exec "$kinlab" run "$tmp/v.yaml" --out "$r" --jobs 2 --quiet \
   2> "$tmp/nohup.err") &
pid=$!
pids="$pids $pid"
wait_rows "$r/a" "$r/b" || bad "nohup: the variants did not start"
for c in $(ps -o pid= --ppid $pid 2>/dev/null); do kill -HUP $c 2>/dev/null; done
kill -HUP $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || bad "nohup: exit $rc after SIGHUP, expected 0 ($(cat "$tmp/nohup.err"))"
for v in a b c; do
  [ "$(status_of "$r/$v")" = completed ] || bad "nohup: variant $v '$(status_of "$r/$v")'"
done
[ $fail -eq $f0 ] && passed=$((passed + 1))

# 8. nohup, SIGHUP to the process group throughout, the dry set-up included
r="$tmp/nohup_group"
f0=$fail
cat > "$tmp/setup.yaml" <<'EOF'
model: {type: landau_particles, d: 3, n: 30, kernel: {type: power_law, gamma: 0}}
initial: {type: maxwellian}
integrator: {type: euler, dt: 0.01}
time: {t_final: 0.01, output_every: 0.01}
output: {snapshots: false}
variants: [{name: a, set: {model.n: 30}}, {name: b, set: {model.n: 31}},
           {name: c, set: {model.n: 32}}, {name: d, set: {model.n: 33}}]
EOF
(trap '' HUP; exec setsid "$kinlab" run "$tmp/setup.yaml" --out "$r" --jobs 2 --quiet \
   2> "$tmp/nohup_group.err") &
pid=$!
pids="$pids $pid"
i=0 # until it exits (a zombie, not yet waited for, is gone too), at most 60 s
while st=$(ps -o stat= -p $pid 2>/dev/null) && [ "${st#Z}" = "$st" ] && [ $i -lt 1200 ]; do
  kill -HUP -$pid 2>/dev/null
  sleep 0.05
  i=$((i + 1))
done
wait $pid
rc=$?
[ $rc -eq 0 ] || bad "nohup, group: exit $rc, expected 0 ($(cat "$tmp/nohup_group.err"))"
for v in a b c d; do
  [ "$(status_of "$r/$v")" = completed ] || bad "nohup, group: variant $v '$(status_of "$r/$v")'"
done
[ $fail -eq $f0 ] && passed=$((passed + 1))

echo "signal variants: $passed passed, $fail failed"
[ $fail -eq 0 ]
