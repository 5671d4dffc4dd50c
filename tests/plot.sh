#!/bin/sh
# tests/plot.sh - tools/kinlab-plot on a tiny hand-made run directory with two
# variants (2-D particles, and a grid f(x, v)): PNG files are produced for the
# invariants, the errors, the convergence in n, the particle and grid
# snapshots; a directory that is not a run directory is refused with exit 1.
# SKIP (77) when /usr/bin/python3 lacks matplotlib or h5py.
top=${KL_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
plot="$top/tools/kinlab-plot"
py=/usr/bin/python3
if ! $py -c 'import matplotlib, h5py, numpy' >/dev/null 2>&1; then
  echo "SKIP: $py cannot import matplotlib, h5py and numpy"
  exit 77
fi
tmp=$(mktemp -d /tmp/kinlab-test-plot-XXXXXX) || exit 1
[ -n "$KL_TEST_KEEP" ] && echo "kept $tmp" || trap 'rm -rf "$tmp"' EXIT
run="$tmp/run"

# Three particle variants n = 4, 8, 16 (errors 1/n^2) and one grid variant.
$py - "$run" <<'PYEOF' || exit 1
import os, sys
import numpy as np, h5py
run = sys.argv[1]
os.makedirs(run)
open(os.path.join(run, ".kinlab-run"), "w").write("kinlab run directory\n")
def variant(name, model_yaml, snap):
    d = os.path.join(run, name)
    os.makedirs(d)
    with open(os.path.join(d, "config.resolved.yaml"), "w") as f:
        f.write("# Resolved configuration\nname: tiny\nmodel:\n%s"
                "integrator:\n  type: rk4\n  dt: 0.01\ntime:\n  t_final: 1\n"
                "diagnostics:\n- type: moments\n  order: 4\noutput:\n  dir: %s\n" % (model_yaml, run))
    n = snap(None)
    with open(os.path.join(d, "timeseries.csv"), "w") as f:
        f.write("t,step,dt,accepted,rejected,rhs_evals,wall_s,mass,energy,m4_error\n")
        for k, t in enumerate(np.linspace(0, 1, 5)):
            f.write("%g,%d,0.01,%d,0,%d,0.1,1,%.17g,%.17g\n"
                    % (t, 25 * k, 25 * k, 100 * k, 2 + 1e-3 * t / n, t / n ** 2))
    with open(os.path.join(d, "summary.json"), "w") as f:
        f.write('{\n  "status": "completed",\n  "message": "",\n  "steps": 100,\n'
                '  "rhs_evals": 400,\n  "wall_s": 0.1,\n  "state_size": %d,\n'
                '  "resolution": {"model.n": "count", "model.epsilon": "step",'
                ' "integrator.dt": "step"}\n}\n' % (2 * n))
    with h5py.File(os.path.join(d, "snapshots.h5"), "w") as h:
        for k, t in enumerate(np.linspace(0, 1, 5)):
            g = h.create_group("output_%06d" % k)
            g.attrs["t"] = t
            snap((g, t))
def particles(n):
    def snap(arg):
        if arg is None:
            return n
        g, t = arg
        u = (np.arange(n) + 0.5) / n * 4 - 2
        vx, vy = np.meshgrid(u, u)
        g["velocities"] = np.vstack([vx.ravel(), vy.ravel()]) * (1 + 0.1 * t)
        g["weights"] = np.full(n * n, 1.0 / (n * n))
    return snap
for n in (4, 8, 16):
    variant("n=%d" % n, "  type: landau\n  d: 2\n  n: %d\n  epsilon: %.17g\n" % (n, 0.64 * (4.0 / n) ** 1.98),
            particles(n))
def grid(arg):
    if arg is None:
        return 32
    g, t = arg
    x = (np.arange(16) + 0.5) / 16
    v = (np.arange(32) + 0.5) / 32 * 2 - 1
    g["f"] = np.exp(-(v[None, :] - 0.3 * np.sin(2 * np.pi * x[:, None])) ** 2 / (0.1 + t))
variant("grid", "  type: cs_grid\n  d: 1\n  dim_x: 1\n  n: 32\n", grid)
PYEOF

"$plot" "$run" --format png > "$tmp/out.txt" 2> "$tmp/err.txt"
rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: kinlab-plot exited with $rc"; cat "$tmp/err.txt"; exit 1
fi
fail=0
for f in invariants errors convergence_model.n particles_n=4 particles_n=16 grid_grid; do
  p="$run/plots/$f.png"
  # A PNG file starts with \211PNG.
  if [ ! -s "$p" ] || [ "$(head -c 4 "$p" | tail -c 3)" != "PNG" ]; then
    echo "FAIL: $p missing or not a PNG"; fail=1
  fi
done
if ls "$run/plots/"*.pdf >/dev/null 2>&1; then
  echo "FAIL: --format png wrote PDF files"; fail=1
fi
# A single variant directory, PDF into --out.
"$plot" "$run/n=8" --format pdf --out "$tmp/single" > /dev/null 2>&1 || { echo "FAIL: single run"; fail=1; }
[ -s "$tmp/single/particles_n=8.pdf" ] || { echo "FAIL: no PDF for the single run"; fail=1; }
# Not a run directory: clear error, exit 1.
mkdir "$tmp/empty"
"$plot" "$tmp/empty" > /dev/null 2> "$tmp/err.txt"
rc=$?
if [ $rc -ne 1 ] || ! grep -q "not a kinlab run directory" "$tmp/err.txt"; then
  echo "FAIL: non-run directory: exit $rc"; cat "$tmp/err.txt"; fail=1
fi
# Option values out of range: exit 1 naming the option (--grid 0, -5 and
# --eps inf were tracebacks; --format , was exit 0 with nothing written).
for opt in "--grid 0" "--grid -5" "--grid 100000" "--eps inf" "--eps 0" "--format ,"; do
  # shellcheck disable=SC2086
  "$plot" "$run" --out "$tmp/badopt" $opt > /dev/null 2> "$tmp/err.txt"
  rc=$?
  if [ $rc -ne 1 ] || ! grep -q "^kinlab-plot: error: ${opt%% *}" "$tmp/err.txt" \
     || grep -q Traceback "$tmp/err.txt"; then
    echo "FAIL: $opt: exit $rc"; cat "$tmp/err.txt"; fail=1
  fi
done
# A blob_variance attribute that is no single positive number (a text, an
# empty array: tracebacks before) is a malformed file: a warning, no figure.
cp -r "$run" "$tmp/badvar"
$py - "$tmp/badvar/n=4/snapshots.h5" <<'PYEOF' || exit 1
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "a") as h:
    for k, g in enumerate(h.values()):
        g["velocities"].attrs["blob_variance"] = b"abc" if k % 2 else np.array([])
PYEOF
"$plot" "$tmp/badvar" --format png > /dev/null 2> "$tmp/err.txt"
rc=$?
if [ $rc -ne 0 ] || grep -q Traceback "$tmp/err.txt" || \
   ! grep -q "attribute blob_variance of velocities is .*expected one positive" "$tmp/err.txt"; then
  echo "FAIL: malformed blob_variance: exit $rc"; cat "$tmp/err.txt"; fail=1
fi
# output.plots: true makes `kinlab run` call the plot tool ($KINLAB_PLOT) itself.
if [ -x "${KL_TOP_BUILDDIR:-.}/kinlab" ]; then
  "${KL_TOP_BUILDDIR:-.}/kinlab" run --quiet --out "$tmp/auto" --set output.plots=true \
    --set time.t_final=0.1 --set time.output_every=0.05 --set model.n=8 >/dev/null 2>"$tmp/err.txt" \
    || { echo "FAIL: kinlab run with plots"; cat "$tmp/err.txt"; fail=1; }
  [ -s "$tmp/auto/plots/invariants.png" ] && [ -s "$tmp/auto/plots/invariants.pdf" ] \
    || { echo "FAIL: output.plots: true made no figures"; cat "$tmp/err.txt"; fail=1; }
fi
[ $fail -eq 0 ] && echo "PASS: kinlab-plot"
exit $fail
