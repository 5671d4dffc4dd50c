#!/bin/sh
# tests/examples_valid.sh - every experiment under examples/ and bench/ passes
# `kinlab validate` (the full runs belong to the examples and docs, not the suite).
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
echo "examples: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
