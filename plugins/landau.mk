# plugins/landau.mk - the regularized Landau particle method: mollifiers,
# collision kernels, initial data, the landau_particles model, its diagnostics
# and their tests.  See Makefile.am.

# ---- mollifiers
plugin_LTLIBRARIES += plugins/mollifiers/gaussian.la plugins/mollifiers/exponential.la
plugins_mollifiers_gaussian_la_SOURCES = plugins/mollifiers/gaussian.c plugins/mollifiers/incgamma.h \
	plugins/common/simd_math.h
plugins_mollifiers_gaussian_la_CPPFLAGS = $(AM_CPPFLAGS) $(MVEC_CPPFLAGS)
plugins_mollifiers_gaussian_la_CFLAGS = $(AM_CFLAGS) -fno-math-errno
plugins_mollifiers_gaussian_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_mollifiers_gaussian_la_LIBADD = $(PLUGIN_LIBADD) $(MVEC_LIBS)
plugins_mollifiers_exponential_la_SOURCES = plugins/mollifiers/exponential.c plugins/mollifiers/incgamma.h
plugins_mollifiers_exponential_la_CPPFLAGS = $(AM_CPPFLAGS) $(GSL_CFLAGS)
plugins_mollifiers_exponential_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_mollifiers_exponential_la_LIBADD = $(PLUGIN_LIBADD) $(GSL_LIBS)
PLUGIN_BUILD_DIRS += $(abs_top_builddir)/plugins/mollifiers/.libs

# ---- collision kernels
plugin_LTLIBRARIES += plugins/kernels/power_law.la
plugins_kernels_power_law_la_SOURCES = plugins/kernels/power_law.c
plugins_kernels_power_law_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_kernels_power_law_la_LIBADD = $(PLUGIN_LIBADD)
PLUGIN_BUILD_DIRS += $(abs_top_builddir)/plugins/kernels/.libs

# ---- initial data (bkw, maxwellian, bimaxwellian, rosenbluth)
plugin_LTLIBRARIES += plugins/initial/landau_initial.la
plugins_initial_landau_initial_la_SOURCES = plugins/initial/landau_initial.c
plugins_initial_landau_initial_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_initial_landau_initial_la_LIBADD = $(PLUGIN_LIBADD)
PLUGIN_BUILD_DIRS += $(abs_top_builddir)/plugins/initial/.libs

# ---- the model.  -fno-math-errno lets sqrt vectorize in the pair sum.
plugin_LTLIBRARIES += plugins/models/landau_particles.la
plugins_models_landau_particles_la_SOURCES = plugins/models/landau_particles.c \
	plugins/models/landau_pairs.h plugins/common/simd_math.h
plugins_models_landau_particles_la_CPPFLAGS = $(AM_CPPFLAGS) $(MVEC_CPPFLAGS)
plugins_models_landau_particles_la_CFLAGS = $(AM_CFLAGS) -fno-math-errno
plugins_models_landau_particles_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_models_landau_particles_la_LIBADD = $(PLUGIN_LIBADD) $(MVEC_LIBS)
PLUGIN_BUILD_DIRS += $(abs_top_builddir)/plugins/models/.libs

# ---- diagnostics (bkw_error, particles)
plugin_LTLIBRARIES += plugins/diagnostics/landau_diagnostics.la
plugins_diagnostics_landau_diagnostics_la_SOURCES = plugins/diagnostics/landau_diagnostics.c
plugins_diagnostics_landau_diagnostics_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_diagnostics_landau_diagnostics_la_LIBADD = $(PLUGIN_LIBADD)
PLUGIN_BUILD_DIRS += $(abs_top_builddir)/plugins/diagnostics/.libs

# ---- tests
check_PROGRAMS += tests/test_landau_mollifiers tests/test_landau_kernels \
	tests/test_landau_initial tests/test_landau_model tests/test_landau_bkw
TESTS += tests/test_landau_mollifiers tests/test_landau_kernels \
	tests/test_landau_initial tests/test_landau_model tests/test_landau_bkw
tests_test_landau_mollifiers_SOURCES = tests/test_landau_mollifiers.c
tests_test_landau_mollifiers_CPPFLAGS = $(TEST_CPPFLAGS) $(GSL_CFLAGS)
tests_test_landau_mollifiers_LDADD = $(TEST_LDADD)
tests_test_landau_kernels_SOURCES = tests/test_landau_kernels.c
# (includes plugins/models/landau_pairs.h: the model's flags and libmvec)
tests_test_landau_kernels_SOURCES += plugins/models/landau_pairs.h plugins/common/simd_math.h
tests_test_landau_kernels_CPPFLAGS = $(TEST_CPPFLAGS) $(MVEC_CPPFLAGS)
tests_test_landau_kernels_CFLAGS = $(AM_CFLAGS) -fno-math-errno
tests_test_landau_kernels_LDADD = $(TEST_LDADD) $(MVEC_LIBS)
tests_test_landau_initial_SOURCES = tests/test_landau_initial.c
tests_test_landau_initial_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_landau_initial_LDADD = $(TEST_LDADD)
tests_test_landau_model_SOURCES = tests/test_landau_model.c tests/test_landau_common.h
tests_test_landau_model_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_landau_model_LDADD = $(TEST_LDADD)
tests_test_landau_bkw_SOURCES = tests/test_landau_bkw.c tests/test_landau_common.h
tests_test_landau_bkw_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_landau_bkw_LDADD = $(TEST_LDADD)

# With ./configure --enable-mpi the pair sum is split over MPI ranks.
if KL_MPI
plugins_models_landau_particles_la_CPPFLAGS += $(MPI_CFLAGS) -DKL_HAVE_MPI
plugins_models_landau_particles_la_LIBADD += $(MPI_LIBS)
endif
