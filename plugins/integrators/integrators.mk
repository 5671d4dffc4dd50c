# plugins/integrators/integrators.mk - time integrators: explicit Runge-Kutta (fixed step and
# embedded pairs) and GSL's adaptive steppers.
plugin_LTLIBRARIES += plugins/integrators/explicit_rk.la plugins/integrators/gsl_odeiv2.la
plugins_integrators_explicit_rk_la_SOURCES = plugins/integrators/explicit_rk.c
plugins_integrators_explicit_rk_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_integrators_explicit_rk_la_LIBADD = $(PLUGIN_LIBADD)
plugins_integrators_gsl_odeiv2_la_SOURCES = plugins/integrators/gsl_odeiv2.c
plugins_integrators_gsl_odeiv2_la_CPPFLAGS = $(AM_CPPFLAGS) $(GSL_CFLAGS)
plugins_integrators_gsl_odeiv2_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_integrators_gsl_odeiv2_la_LIBADD = $(PLUGIN_LIBADD) $(GSL_LIBS)
PLUGIN_BUILD_DIRS += $(abs_top_builddir)/plugins/integrators/.libs

check_PROGRAMS += tests/test_integrators
TESTS += tests/test_integrators
tests_test_integrators_SOURCES = plugins/integrators/tests/test_integrators.c
tests_test_integrators_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_integrators_LDADD = $(TEST_LDADD)
