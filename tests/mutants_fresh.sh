#!/bin/sh
# tests/mutants_fresh.sh - every mutant of tests/mutation/mutants.txt still names
# its code: the `from` text occurs exactly once in its file (`tools/mutation
# --check-only`).  Code moves and renames otherwise leave mutants that `make
# mutation` can no longer apply, which nothing else notices.
exec "$KL_TOP_SRCDIR/tools/mutation" --check-only
