# tests/robust.mk - robustness (issue 9): the bad-input suite and the fuzzers.
#
# make check runs tests/bad_inputs.sh over tests/bad_inputs/*.yaml (each case
# a file with "# expect:" headers; see the script).  Test modules whose
# create() fails or crashes, and one named like a built-in, are built for it
# (never installed, never on the plugin search path: the cases name them in
# plugin_path or copy them into a directory).
check_LTLIBRARIES += tests/bad_inputs/modules/fail_create.la \
	tests/bad_inputs/modules/crash_create.la \
	tests/bad_inputs/modules/shadow_power_law.la \
	tests/bad_inputs/modules/bad_columns.la tests/bad_inputs/modules/bad_psi.la
tests_bad_inputs_modules_fail_create_la_SOURCES = tests/bad_inputs/modules/fail_create.c
tests_bad_inputs_modules_fail_create_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_bad_inputs_modules_fail_create_la_LIBADD = $(PLUGIN_LIBADD)
tests_bad_inputs_modules_crash_create_la_SOURCES = tests/bad_inputs/modules/crash_create.c
tests_bad_inputs_modules_crash_create_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_bad_inputs_modules_crash_create_la_LIBADD = $(PLUGIN_LIBADD)
tests_bad_inputs_modules_shadow_power_law_la_SOURCES = tests/bad_inputs/modules/shadow_power_law.c
tests_bad_inputs_modules_shadow_power_law_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_bad_inputs_modules_shadow_power_law_la_LIBADD = $(PLUGIN_LIBADD)
tests_bad_inputs_modules_bad_columns_la_SOURCES = tests/bad_inputs/modules/bad_columns.c
tests_bad_inputs_modules_bad_columns_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_bad_inputs_modules_bad_columns_la_LIBADD = $(PLUGIN_LIBADD)
tests_bad_inputs_modules_bad_psi_la_SOURCES = tests/bad_inputs/modules/bad_psi.c
tests_bad_inputs_modules_bad_psi_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_bad_inputs_modules_bad_psi_la_LIBADD = $(PLUGIN_LIBADD) -lm

TESTS += tests/bad_inputs.sh
# The fuzz sources are listed one by one: a directory named like the phony
# target `fuzz` would make `make dist` run the fuzzers.
EXTRA_DIST += tests/bad_inputs.sh fuzz/fuzz_common.h fuzz/fuzz_experiment.c \
	fuzz/fuzz_plugins.h fuzz/fuzz_set.c fuzz/fuzz_setup.c fuzz/seeds fuzz/seeds.sed fuzz/yaml.dict

# The cases are copied from the source tree (the build tree's tests/bad_inputs
# holds built modules, which EXTRA_DIST would pick up instead).
dist-hook: dist-bad-inputs
dist-bad-inputs:
	$(MKDIR_P) $(distdir)/tests/bad_inputs
	cp -p $(srcdir)/tests/bad_inputs/*.yaml $(distdir)/tests/bad_inputs/
.PHONY: dist-bad-inputs

# ---------------------------------------------------------------- fuzzing
# make fuzz [FUZZ_SECONDS=600] [FUZZ_JOBS=...]: builds fuzz/fuzz_experiment and
# fuzz/fuzz_set with clang -fsanitize=fuzzer,address,undefined from the core
# sources directly, seeds a corpus from examples/*.yaml (plugin names mapped
# onto the harness's own plugins by fuzz/seeds.sed) and fuzz/seeds/, and runs
# each target for FUZZ_SECONDS/2.  Crashes land in fuzz-out/artifacts/.
FUZZ_CC = clang
FUZZ_SECONDS = 600
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-I$(top_srcdir)/framework/include -I$(top_srcdir)/framework/core -I$(top_builddir) \
	$(YAML_CFLAGS) $(HDF5_CFLAGS) $(GSL_CFLAGS) -DPLUGINDIR='"/nonexistent"' \
	-DKL_SCHEMADIR='"/nonexistent"'
FUZZ_LIBS = $(YAML_LIBS) $(HDF5_LIBS) $(GSL_LIBS) -lm -ldl
FUZZ_CORE = $(top_srcdir)/framework/core/*.c
FUZZ_TARGETS = fuzz-out/fuzz_experiment fuzz-out/fuzz_set

fuzz-out/fuzz_%: $(top_srcdir)/fuzz/fuzz_%.c $(top_srcdir)/fuzz/fuzz_common.h \
		$(top_srcdir)/fuzz/fuzz_plugins.h $(framework_core_libkinlab_la_SOURCES)
	@$(MKDIR_P) fuzz-out
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CORE) $(FUZZ_LIBS)

fuzz: $(FUZZ_TARGETS)
	@$(MKDIR_P) fuzz-out/corpus_experiment fuzz-out/corpus_set fuzz-out/artifacts
	for f in $(top_srcdir)/examples/*.yaml; do \
	  cp "$$f" fuzz-out/corpus_experiment/; \
	  sed -f $(top_srcdir)/fuzz/seeds.sed "$$f" > fuzz-out/corpus_experiment/fz_$$(basename $$f); \
	done
	cp $(top_srcdir)/fuzz/seeds/*.yaml fuzz-out/corpus_experiment/
	cp $(top_srcdir)/fuzz/seeds/*.txt fuzz-out/corpus_set/
	half=$$(( $(FUZZ_SECONDS) / 2 )); \
	./fuzz-out/fuzz_experiment -max_total_time=$$half -max_len=4096 -timeout=10 \
	  -rss_limit_mb=2048 -dict=$(top_srcdir)/fuzz/yaml.dict -print_final_stats=1 \
	  -artifact_prefix=fuzz-out/artifacts/experiment- fuzz-out/corpus_experiment && \
	./fuzz-out/fuzz_set -max_total_time=$$half -max_len=1024 -timeout=10 \
	  -rss_limit_mb=2048 -dict=$(top_srcdir)/fuzz/yaml.dict -print_final_stats=1 \
	  -artifact_prefix=fuzz-out/artifacts/set- fuzz-out/corpus_set
.PHONY: fuzz

# make fuzz-setup [FUZZ_SECONDS=600]: fuzz/fuzz_setup checks that what
# validate's dry set-up accepts, run's set-up accepts (no exit 2).  It uses the
# real plugins of this build tree (dlopened; they bind to the instrumented
# core in the executable, hence -rdynamic), seeded with the examples and the
# bad-input cases (less the huge ones and the 20 000-run sweep: loading
# thousands of runs under ASan takes longer than the 30 s timeout).
fuzz-out/fuzz_setup: $(top_srcdir)/fuzz/fuzz_setup.c $(top_srcdir)/fuzz/fuzz_common.h \
		$(framework_core_libkinlab_la_SOURCES)
	@$(MKDIR_P) fuzz-out
	$(FUZZ_CC) $(FUZZ_CFLAGS) -rdynamic -o $@ $< $(FUZZ_CORE) \
	  $(top_srcdir)/framework/core/run/*.c $(FUZZ_LIBS)

fuzz-setup: fuzz-out/fuzz_setup $(plugin_LTLIBRARIES)
	@$(MKDIR_P) fuzz-out/corpus_setup fuzz-out/artifacts
	cp $(top_srcdir)/examples/*.yaml $(top_srcdir)/tests/bad_inputs/*.yaml fuzz-out/corpus_setup/
	rm -f fuzz-out/corpus_setup/huge_* fuzz-out/corpus_setup/sweep_too_many*
	KINLAB_PLUGINDIR= KINLAB_PLUGIN_PATH=`echo '$(PLUGIN_BUILD_DIRS)' | tr -s ' ' ':'` \
	ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
	./fuzz-out/fuzz_setup -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=30 \
	  -rss_limit_mb=2048 -dict=$(top_srcdir)/fuzz/yaml.dict -print_final_stats=1 \
	  -artifact_prefix=fuzz-out/artifacts/setup- fuzz-out/corpus_setup
.PHONY: fuzz-setup

clean-local: clean-fuzz
clean-fuzz:
	rm -rf fuzz-out
.PHONY: clean-fuzz
