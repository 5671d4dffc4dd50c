# plugins/cucker_smale/cucker_smale.mk - kinetic Cucker-Smale with local alignment (paper 004): the grid
# model cs_kinetic, the particle model cs_particles, communication weights (cs_psi),
# initial data (cs_patch,
# cs_gaussian), diagnostics (cs_grid, cs_exact_error, cs_moments) and their tests.
# See Makefile.am and docs/cucker_smale.md.

# ---- models.  -fno-math-errno lets fmin/fabs/sqrt vectorize in the hot loops.
plugin_LTLIBRARIES += plugins/cucker_smale/cs_kinetic.la plugins/cucker_smale/cs_particles.la
plugins_cucker_smale_cs_kinetic_la_SOURCES = plugins/cucker_smale/cs_kinetic.c plugins/cucker_smale/cs_gauss.h \
	plugins/cucker_smale/cs_invariants.h \
	plugins/common/simd_math.h
plugins_cucker_smale_cs_kinetic_la_CFLAGS = $(AM_CFLAGS) -fno-math-errno
plugins_cucker_smale_cs_kinetic_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_cucker_smale_cs_kinetic_la_LIBADD = $(PLUGIN_LIBADD)
plugins_cucker_smale_cs_particles_la_SOURCES = plugins/cucker_smale/cs_particles.c \
	plugins/cucker_smale/cs_cells.c plugins/cucker_smale/cs_cells.h plugins/cucker_smale/cs_invariants.h
plugins_cucker_smale_cs_particles_la_CFLAGS = $(AM_CFLAGS) -fno-math-errno
plugins_cucker_smale_cs_particles_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_cucker_smale_cs_particles_la_LIBADD = $(PLUGIN_LIBADD)
PLUGIN_BUILD_DIRS += $(abs_top_builddir)/plugins/cucker_smale/.libs

# ---- communication weights psi (kind comm_weight)
plugin_LTLIBRARIES += plugins/cucker_smale/cs_psi.la
plugins_cucker_smale_cs_psi_la_SOURCES = plugins/cucker_smale/cs_psi.c
plugins_cucker_smale_cs_psi_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_cucker_smale_cs_psi_la_LIBADD = $(PLUGIN_LIBADD)

# ---- initial data
plugin_LTLIBRARIES += plugins/cucker_smale/cs_initial.la
plugins_cucker_smale_cs_initial_la_SOURCES = plugins/cucker_smale/cs_initial.c
plugins_cucker_smale_cs_initial_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_cucker_smale_cs_initial_la_LIBADD = $(PLUGIN_LIBADD)

# ---- diagnostics
plugin_LTLIBRARIES += plugins/cucker_smale/cs_diagnostics.la
plugins_cucker_smale_cs_diagnostics_la_SOURCES = plugins/cucker_smale/cs_diagnostics.c
plugins_cucker_smale_cs_diagnostics_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_cucker_smale_cs_diagnostics_la_LIBADD = $(PLUGIN_LIBADD)

# ---- tests
check_PROGRAMS += tests/test_cs_kinetic tests/test_cs_particles
TESTS += tests/test_cs_kinetic tests/test_cs_particles
tests_test_cs_kinetic_SOURCES = plugins/cucker_smale/tests/test_cs_kinetic.c
tests_test_cs_kinetic_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_cs_kinetic_LDADD = $(TEST_LDADD)
tests_test_cs_particles_SOURCES = plugins/cucker_smale/tests/test_cs_particles.c plugins/cucker_smale/cs_cells.c \
	plugins/cucker_smale/cs_cells.h
tests_test_cs_particles_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/plugins/cucker_smale
tests_test_cs_particles_LDADD = $(TEST_LDADD)
