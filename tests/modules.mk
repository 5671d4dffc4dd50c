# tests/modules.mk - deliberately broken plugin modules for the loader tests
# (built for `make check` only, never installed).
TEST_MODULE_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
check_LTLIBRARIES += tests/modules/wrong_abi.la tests/modules/small_struct.la \
	tests/modules/no_entry.la tests/modules/undefined_symbol.la \
	tests/modules/dup_a.la tests/modules/dup_b.la tests/modules/abi_1_1.la
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
tests_modules_abi_1_1_la_SOURCES = tests/modules/abi_1_1.c
tests_modules_abi_1_1_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_modules_abi_1_1_la_LIBADD = -lm
# A user's communication weight (tests/cs_user_psi.sh).
check_LTLIBRARIES += tests/modules/user_psi.la
tests_modules_user_psi_la_SOURCES = tests/modules/user_psi.c
tests_modules_user_psi_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_modules_user_psi_la_LIBADD = -lm
# One module per rule of kinds.h that the loader checks (broken_rule.c, RULE = N).
check_LTLIBRARIES += tests/modules/broken_rule_1.la
tests_modules_broken_rule_1_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_1_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=1
tests_modules_broken_rule_1_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_LTLIBRARIES += tests/modules/broken_rule_2.la
tests_modules_broken_rule_2_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_2_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=2
tests_modules_broken_rule_2_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_LTLIBRARIES += tests/modules/broken_rule_3.la
tests_modules_broken_rule_3_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_3_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=3
tests_modules_broken_rule_3_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_LTLIBRARIES += tests/modules/broken_rule_4.la
tests_modules_broken_rule_4_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_4_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=4
tests_modules_broken_rule_4_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_LTLIBRARIES += tests/modules/broken_rule_5.la
tests_modules_broken_rule_5_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_5_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=5
tests_modules_broken_rule_5_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_LTLIBRARIES += tests/modules/broken_rule_6.la
tests_modules_broken_rule_6_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_6_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=6
tests_modules_broken_rule_6_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_LTLIBRARIES += tests/modules/broken_rule_7.la
tests_modules_broken_rule_7_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_7_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=7
tests_modules_broken_rule_7_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_LTLIBRARIES += tests/modules/broken_rule_8.la
tests_modules_broken_rule_8_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_8_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=8
tests_modules_broken_rule_8_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_LTLIBRARIES += tests/modules/broken_rule_9.la
tests_modules_broken_rule_9_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_9_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=9
tests_modules_broken_rule_9_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_LTLIBRARIES += tests/modules/broken_rule_10.la
tests_modules_broken_rule_10_la_SOURCES = tests/modules/broken_rule.c
tests_modules_broken_rule_10_la_CPPFLAGS = $(AM_CPPFLAGS) -DRULE=10
tests_modules_broken_rule_10_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
# Plugins that load but break their kind's contract, one way each, and a
# conforming control (kinlab check-plugin, tests/check_plugin.sh).
check_LTLIBRARIES += tests/modules/nonconforming.la
tests_modules_nonconforming_la_SOURCES = tests/modules/nonconforming.c
tests_modules_nonconforming_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_modules_nonconforming_la_LIBADD = -lm
