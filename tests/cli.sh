#!/bin/bash
# tests/cli.sh - the kinlab program's command table (framework/cli/commands.c):
# every command in the table is listed by `kinlab --help` and answers `kinlab
# help NAME` and `kinlab NAME --help`; a mistyped command is a usage error
# with "did you mean"; `kinlab schema DIR` and `--out DIR` write the same tree;
# `kinlab bench --csv` quotes fields with commas (RFC 4180).  Run by make check.
set -u
src=${KL_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
kinlab=${KL_TOP_BUILDDIR:-$PWD}/kinlab
[ -x "$kinlab" ] || { echo "cli: $kinlab not built"; exit 99; }
if [ -z "${KINLAB_PLUGIN_PATH:-}" ]; then # by hand: the build tree's plugins
  KINLAB_PLUGIN_PATH=$(ls -d "${KL_TOP_BUILDDIR:-$PWD}"/plugins/*/.libs 2>/dev/null | tr '\n' ':')
  export KINLAB_PLUGIN_PATH
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kinlab-cli-XXXXXX") || exit 99
trap 'rm -rf "$scratch"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# The names in the table: its entries open with {"NAME", at four spaces.
names=$(sed -n '/kl_cli_commands\[\] = {/,/^};/s/^    {"\([a-z-]*\)",.*/\1/p' \
        "$src/framework/cli/commands.c")
[ "$(echo "$names" | wc -w)" -ge 8 ] || bad "found only '$names' in the command table"
"$kinlab" --help > "$scratch/help" 2>&1 || bad "kinlab --help exited $?"
"$kinlab" help > "$scratch/help2" 2>&1 || bad "kinlab help exited $?"
cmp -s "$scratch/help" "$scratch/help2" || bad "kinlab help differs from kinlab --help"
for n in $names; do
  grep -q "^  $n\( \|$\)" "$scratch/help" && ok || bad "'$n' is not listed by kinlab --help"
  out=$("$kinlab" help "$n" 2>&1) && ok || bad "kinlab help $n exited $?"
  printf '%s\n' "$out" | head -n 1 | grep -q "^Usage: kinlab $n\b" && ok \
    || bad "kinlab help $n: $(printf '%s\n' "$out" | head -n 1)"
  out=$("$kinlab" "$n" --help 2>&1) && ok || bad "kinlab $n --help exited $?"
  printf '%s\n' "$out" | head -n 1 | grep -q "^Usage: kinlab $n\b" && ok \
    || bad "kinlab $n --help: $(printf '%s\n' "$out" | head -n 1)"
done

# Unknown commands: exit 1 (usage error), a suggestion when one is close.
"$kinlab" rnu > "$scratch/out" 2> "$scratch/err"; rc=$?
[ $rc -eq 1 ] && ok || bad "kinlab rnu exited $rc, expected 1"
grep -q "unknown command 'rnu' (did you mean 'run'?)" "$scratch/err" && ok \
  || bad "kinlab rnu: $(cat "$scratch/err")"
[ ! -s "$scratch/out" ] && ok || bad "kinlab rnu wrote to stdout"
"$kinlab" xyzzy 2> "$scratch/err"; rc=$?
[ $rc -eq 1 ] && ok || bad "kinlab xyzzy exited $rc, expected 1"
grep -q "unknown command 'xyzzy'; commands: run, " "$scratch/err" && ok \
  || bad "kinlab xyzzy: $(cat "$scratch/err")"

# kinlab schema DIR, kinlab schema --out DIR, kinlab schema (./schemas).
(cd "$scratch" && "$kinlab" schema pos > /dev/null && "$kinlab" schema --out opt > /dev/null \
   && "$kinlab" schema > /dev/null) || bad "kinlab schema failed"
[ -s "$scratch/pos/experiment.schema.json" ] && ok || bad "kinlab schema DIR wrote no DIR/experiment.schema.json"
diff -r "$scratch/pos" "$scratch/opt" > /dev/null && ok || bad "kinlab schema DIR differs from --out DIR"
diff -r "$scratch/pos" "$scratch/schemas" > /dev/null && ok || bad "kinlab schema differs from schema DIR"

# bench --csv: the first column has commas ("pair sum, naive reference ..."):
# every row must have the header's 9 fields when read as RFC 4180.
if "$kinlab" bench --csv --n 64 --no-rhs --reps 1 --threads 1 > "$scratch/bench.csv" 2>&1; then
  grep -q '^"pair sum, naive reference (-O2, 1 thr)",64,' "$scratch/bench.csv" && ok \
    || bad "bench --csv: first column not quoted: $(sed -n 2p "$scratch/bench.csv")"
  if command -v python3 > /dev/null; then
    python3 - "$scratch/bench.csv" <<'PY' && ok || bad "bench --csv: rows are not 9 RFC 4180 fields"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
sys.exit(0 if len(rows) >= 3 and all(len(r) == 9 for r in rows) else 1)
PY
  fi
else
  bad "kinlab bench --csv exited $?: $(tail -n 3 "$scratch/bench.csv")"
fi

# bench --tree: the treecode row and its error line (3-D Coulomb, N = 4000: the
# default degree 7, theta 0.7 gives ~1e-6; 1e-4 leaves room, an O(1) error fails);
# a treecode option without --tree, or --no-direct without it, is a usage error.
if "$kinlab" bench --n 4000 --no-rhs --reps 1 --threads 1 --naive-n 100 --tree --sample 200 \
     > "$scratch/bench_tree.txt" 2>&1; then
  sed -n 's/^tree (degree 7, theta 0.7, leaf 32): max relative error \([^ ]*\) on 200 sampled$/\1/p' \
    "$scratch/bench_tree.txt" | awk '{ exit !($1 < 1e-4) }' && ok \
    || bad "bench --tree: no error line below 1e-4: $(grep -i error "$scratch/bench_tree.txt")"
else
  bad "kinlab bench --tree exited $?: $(tail -n 3 "$scratch/bench_tree.txt")"
fi
# The pair-sum kernels of bench live in the landau_particles module (bench/bench.h):
# without it on the plugin path bench says so (exit 3), it does not time nothing.
KINLAB_PLUGIN_PATH= KINLAB_PLUGINDIR="$scratch/no-plugins" "$kinlab" bench --n 64 --no-rhs \
  --reps 1 > /dev/null 2> "$scratch/bench_noplug.err"
rc=$?
[ $rc -eq 3 ] && grep -q "landau_particles plugin module" "$scratch/bench_noplug.err" && ok \
  || bad "bench without the plugin: exit $rc, $(cat "$scratch/bench_noplug.err")"
for opts in "--tree-degree 5" "--no-direct" "--tree --tree-theta 1" "--tree --no-pairs"; do
  # shellcheck disable=SC2086
  "$kinlab" bench --n 64 --no-rhs $opts > /dev/null 2>&1
  [ $? -eq 1 ] && ok || bad "bench $opts: expected a usage error (exit 1)"
done
# The progress board of a --jobs run: on a terminal only (KINLAB_PROGRESS=always
# stands in for one here); an aggregate line and one line per running variant,
# redrawn in place; the children's warnings (naming their variant) on lines of
# their own, written after the board is cleared (or right after another such
# line), never into it; off when not a terminal and under --quiet.
board_run() { # OUT_NAME [ENV...]: a 2-variant --jobs 2 run (~1 s: boards redrawn) whose variants warn
  local out=$1; shift
  env "$@" "$kinlab" run --out "$scratch/$out" --jobs 2 --set "sweep={model.n: [32, 40]}" \
    --set model.box=6 --set model.box_tail_tol=1e-6 > /dev/null 2> "$scratch/$out.err"
}
board_run board KINLAB_PROGRESS=always
board_run board_pipe
KINLAB_PROGRESS=always "$kinlab" run --quiet --out "$scratch/board_quiet" --jobs 2 \
  --set "sweep={model.n: [16, 20]}" 2> "$scratch/board_quiet.err" > /dev/null
sed 's/\x1b\[[0-9]*[AJ]//g; s/\r//g' "$scratch/board.err" > "$scratch/board.txt"
if grep -q $'\x1b\\[3A\r\x1b\\[J' "$scratch/board.err" \
   && grep -qx "kinlab: 0 of 2 variants done, 2 running" "$scratch/board.txt" \
   && grep -qE "^  n=32  \[  0%\] setting up  0 s$" "$scratch/board.txt" \
   && grep -qE "^  n=(32|40)  \[ *[0-9]+%\] t = [0-9.e+-]+ / 2  step [0-9]+  [0-9]+ s$" "$scratch/board.txt" \
   && [ "$(grep -c "warning: variant" "$scratch/board.txt")" = 2 ] \
   && awk -v esc=$'\x1b' '/warning: variant/ { if (index($0, esc "[J") == 0 && !prev) bad = 1 }
        { prev = ($0 ~ /warning: variant/) } END { exit bad }' "$scratch/board.err" \
   && [ "$(grep -c "^kinlab: warning: variant 'n=\(32\|40\)': model: box = 6 is set" "$scratch/board.txt")" = 2 ] \
   && ! grep -q $'\x1b' "$scratch/board_pipe.err" && ! grep -q "variants done" "$scratch/board_pipe.err" \
   && [ "$(grep -c "warning: variant" "$scratch/board_pipe.err")" = 2 ] \
   && ! grep -q "variants done" "$scratch/board_quiet.err"; then
  ok
else
  bad "progress board: $(cat -v "$scratch/board.err" | head -20); piped: $(cat -v "$scratch/board_pipe.err")"
fi

# Threads x jobs: by default at most the available cores (no warning); an
# explicit --threads or --jobs beyond them is warned about, not silent.
cores=$(nproc)
"$kinlab" run --quiet --out "$scratch/cores_default" --set "sweep={model.n: [16, 20]}" \
  > /dev/null 2> "$scratch/cores_default.err"
"$kinlab" run --quiet --out "$scratch/cores_threads" --threads $((cores + 1)) \
  > /dev/null 2> "$scratch/cores_threads.err"
"$kinlab" run --quiet --out "$scratch/cores_jobs" --jobs $((cores + 1)) \
  --set "sweep={model.n: [$(seq -s, 16 2 $((16 + 2 * cores)))]}" > /dev/null 2> "$scratch/cores_jobs.err"
if ! grep -q "compete for the cores" "$scratch/cores_default.err" \
   && grep -q "^kinlab: warning: --threads $((cores + 1)): 1 run at once x $((cores + 1)) threads = $((cores + 1)) threads on $cores available core" "$scratch/cores_threads.err" \
   && grep -q "^kinlab: warning: --jobs $((cores + 1)): $((cores + 1)) runs at once x 1 thread = $((cores + 1)) threads on $cores available core" "$scratch/cores_jobs.err"; then
  ok
else
  bad "oversubscription warnings: default: $(cat "$scratch/cores_default.err"); --threads: $(cat "$scratch/cores_threads.err"); --jobs: $(cat "$scratch/cores_jobs.err")"
fi

# cpu_s in summary.json (getrusage of the variant): the default experiment is
# compute-bound, ~0.3 s of CPU on one thread, so cpu_s is clearly positive and
# at most wall_s x threads (+ 50 ms for clock granularity); the same for
# variants run as processes (--jobs 2), each counting its own process only.
if command -v python3 > /dev/null; then
  if "$kinlab" run --threads 1 --quiet --out "$scratch/cpu1" > /dev/null 2>&1 \
     && "$kinlab" run --threads 1 --jobs 2 --quiet --out "$scratch/cpu2" \
          --set "sweep={model.n: [16, 20]}" > /dev/null 2>&1; then
    python3 - "$scratch"/cpu1/summary.json "$scratch"/cpu2/*/summary.json <<'PY' && ok \
      || bad "cpu_s missing or out of range in summary.json"
import json, sys
for path in sys.argv[1:]:
    s = json.load(open(path))
    cpu, wall = s.get("cpu_s"), s["wall_s"]
    if not isinstance(cpu, float) or not (0.05 <= cpu <= wall * 1 + 0.05):
        print("%s: cpu_s = %r, wall_s = %r" % (path, cpu, wall))
        sys.exit(1)
PY
  else
    bad "kinlab run for cpu_s failed"
  fi
fi

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
