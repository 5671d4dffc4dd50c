/* fuzz/fuzz_plugins.h - small in-harness plugins for the configuration fuzzers
 * (no dlopen: the registry is filled with kl_registry_add).  Their parameter
 * tables cover every kl_param_type, bounds, enums, required keys and nested
 * PLUGIN parameters, so the fuzzer reaches all of params.c's validation paths.
 * Nothing here is ever run: the harnesses only load and resolve experiments. */
#ifndef KINLAB_FUZZ_PLUGINS_H
#define KINLAB_FUZZ_PLUGINS_H

#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

static void fz_profile(void *s, unsigned d, double eps, size_t n, const double *r2, double *v,
                       double *g) {
  (void)s; (void)d; (void)eps;
  for (size_t i = 0; i < n; i++) {
    if (v) v[i] = r2[i];
    if (g) g[i] = 0;
  }
}
static double fz_cutoff(void *s, unsigned d, double eps, double rtol) {
  (void)s; (void)d; (void)rtol;
  return 10 * eps;
}
static const kl_mollifier_ops fz_moll_ops = {sizeof(kl_mollifier_ops), fz_profile, fz_cutoff};
static const kl_param_spec fz_moll_params[] = {
    {"scaling", KL_PARAM_ENUM, "variance", 0, 0, 0, "variance|std", "1", "scaling"},
    {"order", KL_PARAM_INT, "2", 2, 8, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1", "order"},
    KL_PARAM_END};
static const kl_plugin_info fz_moll = {KL_PLUGIN_HEADER, KL_KIND_MOLLIFIER, "fz_moll", "mollifier",
                                       fz_moll_params, &fz_moll_ops, NULL, NULL};

static void fz_weight(void *s, size_t n, const double *r2, double *phi) {
  (void)s;
  for (size_t i = 0; i < n; i++) phi[i] = r2[i];
}
static double fz_gamma(void *s) { (void)s; return 0; }
static const kl_kernel_ops fz_kernel_ops = {sizeof(kl_kernel_ops), fz_weight, fz_gamma, NULL, NULL};
static const kl_param_spec fz_kernel_params[] = {
    {"gamma", KL_PARAM_REAL, "0", -3, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1", "gamma"},
    {"C", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1", "C"},
    {"regime", KL_PARAM_ENUM, "auto", 0, 0, 0, "auto|maxwell|coulomb", "1", "regime"},
    KL_PARAM_END};
static const kl_plugin_info fz_kernel = {KL_PLUGIN_HEADER, KL_KIND_KERNEL, "fz_kernel", "kernel",
                                         fz_kernel_params, &fz_kernel_ops, NULL, NULL};

static size_t fz_size(void *s) { (void)s; return 1; }
static int fz_initial(void *s, double *t0, double *y, kl_error *err) {
  (void)s; (void)t0; (void)err;
  y[0] = 1;
  return KL_OK;
}
static int fz_rhs(void *s, double t, const double *y, double *f, kl_error *err) {
  (void)s; (void)t; (void)err;
  f[0] = -y[0];
  return KL_OK;
}
static const kl_model_ops fz_model_ops = {sizeof(kl_model_ops), fz_size, fz_initial, fz_rhs,
                                          NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
static const kl_param_spec fz_model_params[] = {
    {"d", KL_PARAM_INT, "2", 1, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1", "dimension"},
    {"dim_x", KL_PARAM_INT, "0", 0, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1", "space"},
    {"n", KL_PARAM_INT, NULL, 1, 100000, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1", "cells"},
    {"box", KL_PARAM_REAL, "4", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "v", "box"},
    {"v_lo", KL_PARAM_REAL_LIST, "[-1]", 0, 0, 0, NULL, "v", "lower"},
    {"nv", KL_PARAM_REAL_LIST, NULL, 1, 0, KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN, NULL, "1", "nv"},
    {"alignment", KL_PARAM_ENUM, "exact", 0, 0, 0, "exact|upwind|none", "1", "alignment"},
    {"label", KL_PARAM_STRING, NULL, 0, 0, KL_PARAM_OPTIONAL, NULL, NULL, "label"},
    {"check", KL_PARAM_BOOL, "false", 0, 0, 0, NULL, NULL, "check"},
    {"mollifier", KL_PARAM_PLUGIN, "fz_moll", 0, 0, 0, "mollifier", NULL, "mollifier"},
    {"kernel", KL_PARAM_PLUGIN, NULL, 0, 0, KL_PARAM_OPTIONAL, "kernel", NULL, "kernel"},
    KL_PARAM_END};
static const kl_plugin_info fz_model = {KL_PLUGIN_HEADER, KL_KIND_MODEL, "fz_model", "model",
                                        fz_model_params, &fz_model_ops, NULL, NULL};
static const kl_plugin_info fz_model2 = {KL_PLUGIN_HEADER, KL_KIND_MODEL, "fz_plain", "model",
                                         NULL, &fz_model_ops, NULL, NULL};

static double fz_density(void *s, const double *x, const double *v) {
  (void)s; (void)x; (void)v;
  return 1;
}
static const kl_initial_ops fz_init_ops = {sizeof(kl_initial_ops), fz_density, NULL, NULL, NULL, NULL, NULL};
static const kl_param_spec fz_init_params[] = {
    {"mass", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1", "m"},
    {"mean", KL_PARAM_REAL_LIST, "[0]", 0, 0, 0, NULL, "v", "mean"},
    {"sigma", KL_PARAM_REAL, "1", 0, 10, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX | KL_PARAM_MIN_EXCLUSIVE |
                                             KL_PARAM_MAX_EXCLUSIVE, NULL, "v", "sigma"},
    KL_PARAM_END};
static const kl_plugin_info fz_init = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "fz_init", "initial",
                                       fz_init_params, &fz_init_ops, NULL, NULL};

static unsigned fz_order(void *s) { (void)s; return 1; }
static int fz_step(void *s, const kl_system *sys, double *t, double *dt, double t_limit,
                   double *y, kl_step_stats *st, kl_error *err) {
  (void)s; (void)sys; (void)dt; (void)y; (void)st; (void)err;
  *t = t_limit;
  return KL_OK;
}
static const kl_integrator_ops fz_int_ops = {sizeof(kl_integrator_ops), 0, fz_order, fz_step,
                                             NULL};
static const kl_param_spec fz_int_params[] = {
    {"dt", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "s", "dt"},
    {"rtol", KL_PARAM_REAL, "1e-6", 0, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1", "rtol"},
    KL_PARAM_END};
static const kl_plugin_info fz_int = {KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "fz_euler", "euler",
                                      fz_int_params, &fz_int_ops, NULL, NULL};

static size_t fz_columns(void *s, const char *const **names) {
  (void)s;
  *names = NULL;
  return 0;
}
static const kl_diagnostic_ops fz_diag_ops = {sizeof(kl_diagnostic_ops), 0xffu, fz_columns, NULL,
                                              NULL};
static const kl_param_spec fz_diag_params[] = {
    {"every", KL_PARAM_INT, "1", 1, 0, KL_PARAM_HAS_MIN, NULL, "1", "every"},
    KL_PARAM_END};
static const kl_plugin_info fz_diag = {KL_PLUGIN_HEADER, KL_KIND_DIAGNOSTIC, "fz_diag", "diag",
                                       fz_diag_params, &fz_diag_ops, NULL, NULL};

static kl_registry *fz_registry(void) {
  static const kl_plugin_info *const all[] = {&fz_moll, &fz_kernel, &fz_model, &fz_model2,
                                              &fz_init, &fz_int,    &fz_diag};
  kl_registry *reg = kl_registry_new();
  if (!reg) abort();
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
    kl_error err = {0, ""};
    if (kl_registry_add(reg, all[i], "builtin:fuzz", &err)) abort();
  }
  return reg;
}

#endif
