#!/bin/sh
# tests/schemas_fresh.sh - the committed schemas/ must equal what `kinlab schema`
# generates from the plugins' parameter tables (regenerate with
# `build/kinlab schema --out schemas` from the source tree, with
# KINLAB_PLUGIN_PATH set as in make check, e.g. `make -C build regen-schemas`).
set -e
out=$(mktemp -d /tmp/kinlab-schemas-XXXXXX)
trap 'rm -rf "$out"' EXIT
"$KL_TOP_BUILDDIR/kinlab" schema --out "$out" >/dev/null
if ! diff -r "$KL_TOP_SRCDIR/schemas" "$out" >"$out.diff" 2>&1; then
  echo "schemas/ is stale: run 'make -C build regen-schemas' and commit schemas/"
  head -n 40 "$out.diff"
  rm -f "$out.diff"
  echo "schemas: 0 passed, 1 failed"
  exit 1
fi
rm -f "$out.diff"
echo "schemas: 1 passed, 0 failed"
