/* tests/testutil.h - helpers shared by the CUnit suites. */
#ifndef KINLAB_TESTUTIL_H
#define KINLAB_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <kinlab/kinlab.h>

/* The registry with every build-tree plugin ($KINLAB_PLUGIN_PATH, set by
 * `make check`); created on first use, freed at exit. */
kl_registry *kl_test_registry(void);

/* Instance of a plugin from a YAML mapping text, e.g.
 *   kl_test_instance(KL_KIND_MOLLIFIER, "{type: gaussian}", 2, 0, NULL, NULL);
 * Fails the current test (CU_FAIL with the message) and returns NULL on error. */
kl_instance *kl_test_instance(int kind, const char *yaml, unsigned dim_v, unsigned dim_x,
                              kl_instance *initial, kl_instance *model);

/* Same, but returns the status and fills err (for tests of error paths). */
int kl_test_instance_status(int kind, const char *yaml, unsigned dim_v, unsigned dim_x,
                            kl_instance *initial, kl_instance *model, kl_instance **out,
                            kl_error *err);

/* Register the test fixtures (tests/fixtures.c): model test_decay (params d,
 * lambda, blowup, stop_after_rhs; invariants y0, sum), initial test_flat,
 * integrator test_euler, diagnostic test_exact (y0_error = |y_0 - e^-t|). */
void kl_test_add_fixtures(kl_registry *reg);

/* Paths from `make check`: the source and build trees (fall back to "."). */
const char *kl_test_srcdir(void);
const char *kl_test_builddir(void);

/* A suite table entry and the runner used by every test program's main():
 *   static CU_TestInfo tests[] = {{"name", fn}, CU_TEST_INFO_NULL};
 *   static CU_SuiteInfo suites[] = {{"suite", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
 *   int main(void) { return kl_test_main(suites); }
 * Returns 0 when every test passed, 1 otherwise (CUnit verbose output). */
int kl_test_main(CU_SuiteInfo *suites);

/* |a - b| <= tol, with a message naming both values on failure. */
#define KL_ASSERT_CLOSE(a, b, tol)                                                     \
  do {                                                                                 \
    double a_ = (a), b_ = (b), t_ = (tol);                                             \
    if (!(fabs(a_ - b_) <= t_)) {                                                      \
      char m_[256];                                                                    \
      snprintf(m_, sizeof m_, "%s = %.17g vs %s = %.17g (tol %.3g)", #a, a_, #b, b_, t_); \
      CU_FAIL(m_);                                                                     \
    } else                                                                             \
      CU_PASS(#a " close to " #b);                                                     \
  } while (0)

#endif
