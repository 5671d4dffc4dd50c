# plugins/landau/landau.mk - the regularized Landau particle method: mollifiers,
# collision kernels, initial data, the landau_particles model, its diagnostics
# and their tests.  See Makefile.am.

# ---- mollifiers
plugin_LTLIBRARIES += plugins/landau/gaussian.la plugins/landau/exponential.la
plugins_landau_gaussian_la_SOURCES = plugins/landau/gaussian.c plugins/landau/incgamma.h \
	plugins/common/simd_math.h
plugins_landau_gaussian_la_CPPFLAGS = $(AM_CPPFLAGS) $(MVEC_CPPFLAGS)
plugins_landau_gaussian_la_CFLAGS = $(AM_CFLAGS) -fno-math-errno
plugins_landau_gaussian_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_landau_gaussian_la_LIBADD = $(PLUGIN_LIBADD) $(MVEC_LIBS)
plugins_landau_exponential_la_SOURCES = plugins/landau/exponential.c plugins/landau/incgamma.h
plugins_landau_exponential_la_CPPFLAGS = $(AM_CPPFLAGS) $(GSL_CFLAGS)
plugins_landau_exponential_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_landau_exponential_la_LIBADD = $(PLUGIN_LIBADD) $(GSL_LIBS)
PLUGIN_BUILD_DIRS += $(abs_top_builddir)/plugins/landau/.libs

# ---- collision kernels
plugin_LTLIBRARIES += plugins/landau/power_law.la
plugins_landau_power_law_la_SOURCES = plugins/landau/power_law.c
plugins_landau_power_law_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_landau_power_law_la_LIBADD = $(PLUGIN_LIBADD)

# ---- initial data (bkw, maxwellian, bimaxwellian, rosenbluth)
plugin_LTLIBRARIES += plugins/landau/landau_initial.la
plugins_landau_landau_initial_la_SOURCES = plugins/landau/landau_initial.c
plugins_landau_landau_initial_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_landau_landau_initial_la_LIBADD = $(PLUGIN_LIBADD)

# ---- the model.  -fno-math-errno lets sqrt vectorize in the pair sum.
plugin_LTLIBRARIES += plugins/landau/landau_particles.la
plugins_landau_landau_particles_la_SOURCES = plugins/landau/landau_particles.c \
	plugins/landau/landau_pairs.h plugins/landau/landau_tree.h plugins/landau/landau_box.h \
	plugins/landau/landau_setup.h \
	plugins/common/simd_math.h
plugins_landau_landau_particles_la_CPPFLAGS = $(AM_CPPFLAGS) $(MVEC_CPPFLAGS)
plugins_landau_landau_particles_la_CFLAGS = $(AM_CFLAGS) -fno-math-errno
# The module also exports the kernels of `kinlab bench` (bench/bench.h).
plugins_landau_landau_particles_la_SOURCES += bench/fast_pairs.c bench/bench.h
plugins_landau_landau_particles_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-export-symbols-regex '^kinlab_(plugin_entry|bench_landau_pairs)$$'
plugins_landau_landau_particles_la_LIBADD = $(PLUGIN_LIBADD) $(MVEC_LIBS) bench/libklnaive.la

# ---- stochastic binary collisions (landau_binary)
plugin_LTLIBRARIES += plugins/landau/landau_binary.la
plugins_landau_landau_binary_la_SOURCES = plugins/landau/landau_binary.c \
	plugins/landau/landau_rng.h plugins/landau/landau_box.h plugins/landau/landau_setup.h
plugins_landau_landau_binary_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_landau_landau_binary_la_LIBADD = $(PLUGIN_LIBADD)

# ---- diagnostics (bkw_error, particles)
plugin_LTLIBRARIES += plugins/landau/landau_diagnostics.la
plugins_landau_landau_diagnostics_la_SOURCES = plugins/landau/landau_diagnostics.c \
	plugins/landau/landau_rate.h
plugins_landau_landau_diagnostics_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_landau_landau_diagnostics_la_LIBADD = $(PLUGIN_LIBADD)

# ---- tests
check_PROGRAMS += tests/test_landau_mollifiers tests/test_landau_kernels \
	tests/test_landau_initial tests/test_landau_model tests/test_landau_bkw tests/test_landau_box \
	tests/test_landau_binary tests/test_landau_rate \
	tests/test_landau_tree
TESTS += tests/test_landau_mollifiers tests/test_landau_kernels \
	tests/test_landau_initial tests/test_landau_model tests/test_landau_bkw tests/test_landau_box \
	tests/test_landau_binary tests/test_landau_rate \
	tests/test_landau_tree
tests_test_landau_mollifiers_SOURCES = plugins/landau/tests/test_landau_mollifiers.c
tests_test_landau_mollifiers_CPPFLAGS = $(TEST_CPPFLAGS) $(GSL_CFLAGS)
tests_test_landau_mollifiers_LDADD = $(TEST_LDADD)
tests_test_landau_kernels_SOURCES = plugins/landau/tests/test_landau_kernels.c
# (includes plugins/landau/landau_pairs.h: the model's flags and libmvec)
tests_test_landau_kernels_SOURCES += plugins/landau/landau_pairs.h plugins/landau/landau_tree.h \
	plugins/common/simd_math.h
tests_test_landau_kernels_CPPFLAGS = $(TEST_CPPFLAGS) $(MVEC_CPPFLAGS)
tests_test_landau_kernels_CFLAGS = $(AM_CFLAGS) -fno-math-errno
tests_test_landau_kernels_LDADD = $(TEST_LDADD) $(MVEC_LIBS)
# the treecode against the direct sum (includes landau_pairs.h: the model's flags)
tests_test_landau_tree_SOURCES = plugins/landau/tests/test_landau_tree.c \
	plugins/landau/landau_pairs.h plugins/landau/landau_tree.h plugins/common/simd_math.h
tests_test_landau_tree_CPPFLAGS = $(TEST_CPPFLAGS) $(MVEC_CPPFLAGS)
tests_test_landau_tree_CFLAGS = $(AM_CFLAGS) -fno-math-errno
tests_test_landau_tree_LDADD = $(TEST_LDADD) $(MVEC_LIBS)
tests_test_landau_initial_SOURCES = plugins/landau/tests/test_landau_initial.c
tests_test_landau_initial_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_landau_initial_LDADD = $(TEST_LDADD)
tests_test_landau_model_SOURCES = plugins/landau/tests/test_landau_model.c plugins/landau/tests/test_landau_common.h
tests_test_landau_model_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_landau_model_LDADD = $(TEST_LDADD)
tests_test_landau_bkw_SOURCES = plugins/landau/tests/test_landau_bkw.c plugins/landau/tests/test_landau_common.h
tests_test_landau_bkw_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_landau_bkw_LDADD = $(TEST_LDADD)
tests_test_landau_box_SOURCES = plugins/landau/tests/test_landau_box.c plugins/landau/landau_box.h
tests_test_landau_box_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_landau_box_LDADD = $(TEST_LDADD)
tests_test_landau_binary_SOURCES = plugins/landau/tests/test_landau_binary.c \
	plugins/landau/tests/test_landau_common.h
tests_test_landau_binary_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_landau_binary_LDADD = $(TEST_LDADD)
tests_test_landau_rate_SOURCES = plugins/landau/tests/test_landau_rate.c \
	plugins/landau/tests/test_landau_common.h plugins/landau/landau_rate.h
tests_test_landau_rate_CPPFLAGS = $(TEST_CPPFLAGS) $(GSL_CFLAGS)
tests_test_landau_rate_LDADD = $(TEST_LDADD) $(GSL_LIBS)

# With ./configure --enable-mpi the pair sum is split over MPI ranks.
if KL_MPI
plugins_landau_landau_particles_la_CPPFLAGS += $(MPI_CFLAGS) -DKL_HAVE_MPI
plugins_landau_landau_particles_la_LIBADD += $(MPI_LIBS)
endif

# The box studies of docs/validation.md (sections 1b, 2b).
EXTRA_DIST += bench/bkw2d_box.yaml bench/bkw3d_box.yaml
