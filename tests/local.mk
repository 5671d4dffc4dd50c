# tests/local.mk - core test programs and the shared test helpers.
check_LTLIBRARIES += tests/libkltest.la
tests_libkltest_la_SOURCES = tests/testutil.c tests/testutil.h tests/fixtures.c
tests_libkltest_la_CPPFLAGS = $(TEST_CPPFLAGS)
tests_libkltest_la_LIBADD = $(CUNIT_LIBS)

check_PROGRAMS += tests/test_loader tests/test_run tests/test_plugin_threads
TESTS += tests/test_loader tests/test_run tests/test_plugin_threads
tests_test_plugin_threads_SOURCES = tests/test_plugin_threads.c
tests_test_plugin_threads_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_plugin_threads_LDADD = $(TEST_LDADD)
tests_test_loader_SOURCES = tests/test_loader.c
tests_test_loader_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_loader_LDADD = $(TEST_LDADD)
tests_test_run_SOURCES = tests/test_run.c
tests_test_run_CPPFLAGS = $(TEST_CPPFLAGS) $(HDF5_CFLAGS)
tests_test_run_LDADD = $(TEST_LDADD) $(HDF5_LIBS)

# The out-of-tree plugin template, built against a DESTDIR installation.
TESTS += tests/plugin_template.sh
EXTRA_DIST += tests/plugin_template.sh

# The kinlab program's command table, help texts and CSV output.
TESTS += tests/cli.sh
EXTRA_DIST += tests/cli.sh

# kinlab check-plugin passes every built-in module and fails each broken
# plugin of tests/modules/nonconforming.c for its fault.
TESTS += tests/check_plugin.sh
EXTRA_DIST += tests/check_plugin.sh
# A user-written communication weight psi used by a cs_particles run.
TESTS += tests/cs_user_psi.sh
EXTRA_DIST += tests/cs_user_psi.sh

# The committed JSON Schemas are up to date with the parameter tables.
TESTS += tests/schemas_fresh.sh
EXTRA_DIST += tests/schemas_fresh.sh

# The curated mutants still name their code (make mutation can apply each).
TESTS += tests/mutants_fresh.sh
EXTRA_DIST += tests/mutants_fresh.sh

regen-schemas: kinlab $(plugin_LTLIBRARIES)
	KINLAB_PLUGINDIR= KINLAB_PLUGIN_PATH=`echo '$(PLUGIN_BUILD_DIRS)' | tr -s ' ' ':'` ./kinlab schema --out $(top_srcdir)/schemas
.PHONY: regen-schemas

# SIGINT writes a checkpoint; --restart continues bit-identically.
TESTS += tests/signal_restart.sh
EXTRA_DIST += tests/signal_restart.sh

# Stop signals and variants: forwarded to variant processes, exit 128+signo with
# the incomplete variants listed, children die with the parent, no lost stop.
TESTS += tests/signal_variants.sh
EXTRA_DIST += tests/signal_variants.sh

# What `kinlab validate` accepts, `kinlab run` sets up (no exit 2): boundary
# values of parameters, each validated and, when accepted, run for 3 steps.
TESTS += tests/validate_run.sh
EXTRA_DIST += tests/validate_run.sh

# --restart continues only what was run: configuration, files, lock, step size.
TESTS += tests/restart_integrity.sh
EXTRA_DIST += tests/restart_integrity.sh

# The MPI split of the Landau pair sum (./configure --enable-mpi only).
EXTRA_DIST += tests/mpi.sh
if KL_MPI
TESTS += tests/mpi.sh
endif

# Every example experiment validates.
TESTS += tests/examples_valid.sh
EXTRA_DIST += tests/examples_valid.sh

# plugin_template.sh runs `make install`, which relinks the build tree's plugin
# modules in place: with `make -j check` a test loading them at that moment
# would see a half-written .so.  Run it after every other test.
# (Automake's own recipe for this log, which a user rule replaces.)
tests/plugin_template.sh.log: tests/plugin_template.sh \
		$(filter-out tests/plugin_template.sh.log,$(TEST_LOGS))
	@p='tests/plugin_template.sh'; \
	b='tests/plugin_template.sh'; \
	$(am__check_pre) $(LOG_DRIVER) --test-name "$$f" \
	--log-file $$b.log --trs-file $$b.trs \
	$(am__common_driver_flags) $(AM_LOG_DRIVER_FLAGS) $(LOG_DRIVER_FLAGS) -- $(LOG_COMPILE) \
	"$$tst" $(AM_TESTS_FD_REDIRECT)
