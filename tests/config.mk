# tests/config.mk - the configuration layer (YAML, parameters, experiments,
# variants, schemas); see Makefile.am.  Uses fake plugins only.
check_PROGRAMS += tests/test_config
TESTS += tests/test_config
tests_test_config_SOURCES = tests/test_config.c
tests_test_config_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_config_LDADD = $(TEST_LDADD)
