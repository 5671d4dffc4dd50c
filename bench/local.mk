# bench/local.mk - the kernels behind `kinlab bench` (framework/cli/bench_cmd.c).
# They live in the landau_particles plugin module (plugins/landau/landau.mk),
# not in the kinlab program: the fast pair sum (bench/fast_pairs.c) is compiled
# with the model's own source and flags, the naive reference here, -O2 and
# scalar (-fno-tree-vectorize: GCC 12 vectorizes cheap loops at -O2), as a
# convenience library linked into that module.
noinst_LTLIBRARIES += bench/libklnaive.la
bench_libklnaive_la_SOURCES = bench/naive_pairs.c bench/bench.h
bench_libklnaive_la_CFLAGS = $(AM_CFLAGS) -O2 -fno-tree-vectorize

# CPU time per RK4 step of cs_particles (docs/cucker_smale.md): built by make,
# not installed; run as bench/cs_rhs N [REPS] in the build directory.
noinst_PROGRAMS += bench/cs_rhs
bench_cs_rhs_SOURCES = bench/cs_rhs.c
bench_cs_rhs_LDADD = framework/core/libkinlab.la -lm

# The treecode measurements of docs/performance.md ("Treecode").
EXTRA_DIST += bench/tree.sh bench/tree_drift.yaml
