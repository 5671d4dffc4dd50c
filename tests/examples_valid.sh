#!/bin/sh
# tests/examples_valid.sh - every experiment under examples/ and bench/ passes
# `kinlab validate` (the full runs belong to the examples and docs, not the suite),
# and so does every one-line `kinlab run|validate examples/X.yaml ...` command of
# README.md and docs/*.md, as a reader would type it.
pass=0
fail=0
for f in "$KL_TOP_SRCDIR"/examples/*.yaml "$KL_TOP_SRCDIR"/bench/*.yaml; do
  if out=$("$KL_TOP_BUILDDIR/kinlab" validate "$f" 2>&1); then
    pass=$((pass + 1))
  else
    echo "FAIL: $out"
    fail=$((fail + 1))
  fi
done
# The documented commands, validated with the run-only options dropped
# (README's `--set model.n=40` on bkw2d, which sweeps model.n, was refused).
cmds=$(cd "$KL_TOP_SRCDIR" && grep -hoE 'kinlab (run|validate) examples/[a-z0-9_]+\.yaml[^`|#\\]*$' \
         README.md docs/*.md | sed 's/ *$//' | sort -u)
while IFS= read -r line; do
  [ -n "$line" ] || continue
  args=$(printf '%s\n' "$line" | sed 's/^kinlab [a-z]* //; s/ --out [^ ]*//; s/ --quiet//;
                                      s/ --jobs [0-9]*//; s/ --force//; s/ --threads [0-9]*//')
  if out=$(cd "$KL_TOP_SRCDIR" && eval "\"$KL_TOP_BUILDDIR/kinlab\" validate $args" 2>&1); then
    pass=$((pass + 1))
  else
    echo "FAIL: documented command '$line': $out"
    fail=$((fail + 1))
  fi
done <<EOF
$cmds
EOF
echo "examples: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
