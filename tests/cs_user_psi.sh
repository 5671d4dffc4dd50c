#!/bin/bash
# tests/cs_user_psi.sh - a communication weight psi written by a user
# (tests/modules/user_psi.c, the triangle 1 - r) drives a cs_particles run through
# plugin_path, with no change to the model: the run completes, gamma = kappa int psi
# uses the host's integral of the user's profile (int over R of (1 - |r|)_+ = 1),
# momentum is kept to round-off, and the result differs from the default indicator
# weight (the weight is really used).  check-plugin passes the user's module.
set -u
top_builddir=${KL_TOP_BUILDDIR:-$PWD}
kinlab=$top_builddir/kinlab
module=$top_builddir/tests/modules/.libs/user_psi.so
[ -x "$kinlab" ] || { echo "cs_user_psi: $kinlab not built"; exit 99; }
[ -f "$module" ] || { echo "cs_user_psi: $module not built"; exit 99; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kinlab-user-psi-XXXXXX") || exit 99
trap 'rm -rf "$scratch"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

"$kinlab" check-plugin "$module" > "$scratch/check" 2>&1 && ok \
  || { bad "check-plugin of user_psi.so"; cat "$scratch/check"; }

cat > "$scratch/user.yaml" <<YAML
name: user_psi
plugin_path: $module
model:
  type: cs_particles
  d: 1
  dim_x: 1
  N: 400
  kappa: 2
  psi: {type: user_triangle_psi}
  box_lo: [0]
  box_hi: [20]
  boundary: periodic
initial: {type: cs_patch, center: [11, -0.3], side: [2], mass: 1}
integrator: {type: rk4, dt: 0.01}
time: {t_final: 0.5, output_every: 0.25}
YAML
run() { # run NAME [--set ...]: the last row of its timeseries in $scratch/NAME.last
  local name=$1; shift
  "$kinlab" run "$scratch/user.yaml" --out "$scratch/$name" --quiet "$@" \
    > "$scratch/$name.log" 2>&1 || { bad "run $name failed:"; cat "$scratch/$name.log"; return 1; }
  ok
}
col() { # col FILE NAME ROW: the value of column NAME in row ROW (1: first data row)
  awk -F, -v n="$2" -v r="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i }
    NR == r + 1 { print $c }' "$1"
}
if run user; then
  ts=$scratch/user/timeseries.csv
  g=$(col "$ts" gamma 1)
  awk -v g="$g" 'BEGIN { exit !(g - 2 < 1e-12 && 2 - g < 1e-12) }' && ok \
    || bad "gamma = $g, expected kappa int psi = 2 * 1"
  p0=$(col "$ts" momentum_x 1) p1=$(col "$ts" momentum_x 3)
  awk -v a="$p0" -v b="$p1" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-13) }' && ok \
    || bad "momentum $p0 -> $p1"
fi
if run indicator --set model.psi=psi_indicator; then
  e1=$(col "$scratch/user/timeseries.csv" energy 3)
  e2=$(col "$scratch/indicator/timeseries.csv" energy 3)
  [ "$e1" != "$e2" ] && ok || bad "the user's psi gave the indicator's energy $e1"
fi
echo "cs_user_psi: $pass passed, $fail failed"
[ $fail -eq 0 ]
