# tests/compare.mk - comparison tables (kinlab compare) and the plotting tool.
check_PROGRAMS += tests/test_compare
TESTS += tests/test_compare
tests_test_compare_SOURCES = tests/test_compare.c
tests_test_compare_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_compare_LDADD = $(TEST_LDADD)

# tools/kinlab-plot on a tiny run directory (SKIP, 77, without matplotlib/h5py).
TESTS += tests/plot.sh
EXTRA_DIST += tests/plot.sh tests/compare.mk
# kinlab-plot itself is installed by python/local.mk.
