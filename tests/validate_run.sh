#!/bin/sh
# tests/validate_run.sh - the promise of `kinlab validate` (issue 13): for any
# file it accepts, `kinlab run` never fails with exit 2 (invalid experiment or
# parameter) during set-up.  Configurations are generated from a few bases by
# one --set override each, over boundary values of model, initial, integrator
# and time parameters; each is validated, and each one accepted is run (at most
# 3 steps, `time.max_steps`, so a limit ends it with exit 4).  A run must then
# exit 0 or 4 (5 is tolerated: memory or disk), never 2 and never crash or hang.
set -u
kinlab="$KL_TOP_BUILDDIR/kinlab"
src="$KL_TOP_SRCDIR"
tmp=$(mktemp -d /tmp/kinlab-valrun-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# One override a configuration; '+' joins several (no value here contains '+').
common="integrator.dt=1e-300 integrator.dt=1e300 time.t_final=1e-300 time.t_final=1e300
time.output_every=1e-9 time.output_every=1e300 time.outputs=[1e300] time.outputs=[0.02,0.01]"
landau="model.n=2 model.box=1e-300 model.box=1e300 model.epsilon=1e-300 model.epsilon=50
model.epsilon_power=50 model.cutoff_rtol=0.5 model.kernel.gamma=-3 model.kernel.gamma=2
model.collisions=random_batch+model.batch_size=1000000 model.pair_sum=moments+model.kernel.gamma=-2
initial.type=bkw+model.d=3+initial.t0=0 initial.type=bkw+model.d=3+time.t_final=5.6
initial.type=bkw+model.d=3+initial.t0=1e300"
cs="model.nv=[1] model.v_lo=[3] model.gamma=1e300 model.dim_x=1 initial.sigma=1e-300
initial.mean=[1e300] integrator.dt=1"

validated=0
rejected=0
ran=0
fail=0
check() { # base, override(s)
  base=$1
  set_arg=$2
  sets=$(echo "$2" | sed 's/^/--set /; s/+/ --set /g')
  # shellcheck disable=SC2086 # $sets is words on purpose
  "$kinlab" validate "$base" $sets > "$tmp/v.out" 2>&1
  v=$?
  if [ $v -ne 0 ]; then
    rejected=$((rejected + 1))
    [ $v -ge 124 ] && { echo "FAIL: validate $base --set $set_arg: exit $v"; fail=$((fail + 1)); }
    return
  fi
  validated=$((validated + 1))
  rm -rf "$tmp/run"
  # shellcheck disable=SC2086
  timeout -s KILL 120 "$kinlab" run "$base" $sets --set time.max_steps=3 \
    --out "$tmp/run" --quiet --jobs 1 > "$tmp/r.out" 2>&1
  r=$?
  ran=$((ran + 1))
  case $r in
  0 | 4 | 5) ;;
  *)
    echo "FAIL: validate accepts $(basename "$base") --set $set_arg, run exits $r:"
    sed 's/^/  /' "$tmp/r.out" | head -5
    fail=$((fail + 1))
    ;;
  esac
}
sed '/^variants:/,$d' "$src/examples/cs_homogeneous.yaml" > "$tmp/cs_homogeneous.yaml"
for m in $common $landau; do check "$src/tests/bad_inputs/ok_base.yaml" "$m"; done
for m in $common $cs; do check "$tmp/cs_homogeneous.yaml" "$m"; done
echo "validate => run: $validated accepted (all run: $ran), $rejected rejected by validate, $fail failed"
[ $fail -eq 0 ] && [ $validated -gt 0 ] && [ $rejected -gt 0 ]
