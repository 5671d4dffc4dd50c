# framework/core/local.mk - libkinlab: registry, loader, parameters, YAML, runner, outputs.
lib_LTLIBRARIES += framework/core/libkinlab.la
framework_core_libkinlab_la_SOURCES = \
	framework/core/error.c \
	framework/core/text.c \
	framework/core/clock.c \
	framework/core/files.c \
	framework/core/csv_write.c \
	framework/core/plugin.c \
	framework/core/instance.c \
	framework/core/provenance.c \
	framework/core/sha256.c \
	framework/core/yaml.c \
	framework/core/params.c \
	framework/core/schema.c \
	framework/core/json_write.c \
	framework/core/json_read.c \
	framework/core/experiment.c \
	framework/core/output.c \
	framework/core/run/setup.c \
	framework/core/run/schedule.c \
	framework/core/run/observe.c \
	framework/core/run/loop.c \
	framework/core/run/checkpoint.c \
	framework/core/run/summary.c \
	framework/core/run/rundir.c \
	framework/core/run/run.c \
	framework/core/run/variants.c \
	framework/core/run/progress.c \
	framework/core/run/run_internal.h \
	framework/core/default_experiment.c \
	framework/core/internal.h \
	framework/core/config.h
framework_core_libkinlab_la_CPPFLAGS = $(AM_CPPFLAGS) $(YAML_CFLAGS) $(HDF5_CFLAGS) $(GSL_CFLAGS) -I$(top_builddir)
framework_core_libkinlab_la_LIBADD = $(YAML_LIBS) $(HDF5_LIBS) $(GSL_LIBS) $(OPENMP_CFLAGS) -lm
framework_core_libkinlab_la_LDFLAGS = -version-info 0:0:0 -no-undefined

kinlabincludedir = $(includedir)/kinlab
kinlabinclude_HEADERS = \
	framework/include/kinlab/kinlab.h \
	framework/include/kinlab/status.h \
	framework/include/kinlab/params.h \
	framework/include/kinlab/plugin.h \
	framework/include/kinlab/kinds.h \
	framework/include/kinlab/host.h

if KL_MPI
framework_core_libkinlab_la_CPPFLAGS += $(MPI_CFLAGS)
framework_core_libkinlab_la_LIBADD += $(MPI_LIBS)
endif
