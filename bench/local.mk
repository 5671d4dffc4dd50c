# bench/local.mk - the kernels behind `kinlab bench` (framework/cli/bench_cmd.c).
# The naive reference is compiled -O2 and scalar (-fno-tree-vectorize: GCC 12
# vectorizes cheap loops at -O2); the fast pair sum with the model's own flags
# (-fno-math-errno so sqrt vectorizes; ISA clones via target_clones in the source).
noinst_LTLIBRARIES += bench/libklnaive.la bench/libklpairs.la
bench_libklnaive_la_SOURCES = bench/naive_pairs.c bench/bench.h
bench_libklnaive_la_CFLAGS = $(AM_CFLAGS) -O2 -fno-tree-vectorize
bench_libklpairs_la_SOURCES = bench/fast_pairs.c bench/bench.h plugins/landau/landau_pairs.h \
	plugins/landau/landau_tree.h \
	plugins/common/simd_math.h
bench_libklpairs_la_CPPFLAGS = $(AM_CPPFLAGS) $(MVEC_CPPFLAGS)
bench_libklpairs_la_CFLAGS = $(AM_CFLAGS) -fno-math-errno
bench_libklpairs_la_LIBADD = $(MVEC_LIBS)
kinlab_LDADD += bench/libklpairs.la bench/libklnaive.la

# CPU time per RK4 step of cs_particles (docs/cucker_smale.md): built by make,
# not installed; run as bench/cs_rhs N [REPS] in the build directory.
noinst_PROGRAMS += bench/cs_rhs
bench_cs_rhs_SOURCES = bench/cs_rhs.c
bench_cs_rhs_LDADD = framework/core/libkinlab.la -lm

# The treecode measurements of docs/performance.md ("Treecode").
EXTRA_DIST += bench/tree.sh bench/tree_drift.yaml
