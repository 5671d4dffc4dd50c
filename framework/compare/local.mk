# framework/compare/local.mk - `kinlab compare`: comparison tables of a run
# directory.  Part of libkinlab (kl_compare_run_dir*, host.h) because the
# runner writes the tables after the variants of an experiment; the boundary is
# compare_internal.h: these files use the core's readers (YAML, JSON, summary,
# base columns) and the registry, and the core calls only kl_compare_run_dir*.
framework_core_libkinlab_la_SOURCES += \
	framework/compare/compare.c \
	framework/compare/read.c \
	framework/compare/analyse.c \
	framework/compare/write.c \
	framework/compare/reference.c \
	framework/compare/compare_internal.h
