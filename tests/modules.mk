# tests/modules.mk - deliberately broken plugin modules for the loader tests
# (built for `make check` only, never installed).
TEST_MODULE_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
check_LTLIBRARIES += tests/modules/wrong_abi.la tests/modules/small_struct.la \
	tests/modules/no_entry.la tests/modules/undefined_symbol.la \
	tests/modules/dup_a.la tests/modules/dup_b.la
tests_modules_wrong_abi_la_SOURCES = tests/modules/wrong_abi.c
tests_modules_wrong_abi_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_modules_small_struct_la_SOURCES = tests/modules/small_struct.c
tests_modules_small_struct_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_modules_no_entry_la_SOURCES = tests/modules/no_entry.c
tests_modules_no_entry_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_modules_undefined_symbol_la_SOURCES = tests/modules/undefined_symbol.c
tests_modules_undefined_symbol_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_modules_dup_a_la_SOURCES = tests/modules/dup_a.c
tests_modules_dup_a_la_CPPFLAGS = $(AM_CPPFLAGS) -DDUP_SUMMARY='"first"'
tests_modules_dup_a_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_modules_dup_b_la_SOURCES = tests/modules/dup_a.c
tests_modules_dup_b_la_CPPFLAGS = $(AM_CPPFLAGS) -DDUP_SUMMARY='"second"'
tests_modules_dup_b_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
