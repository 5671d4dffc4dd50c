# framework/cli/local.mk - the kinlab program.
bin_PROGRAMS += kinlab
kinlab_SOURCES = framework/cli/kinlab.c framework/cli/common.c framework/cli/commands.c framework/cli/compare_cmd.c framework/cli/bench_cmd.c \
	framework/cli/cli.h
# kinlab check-plugin: the conformance checks, one file per kind (framework/check/).
kinlab_SOURCES += framework/cli/check_plugin_cmd.c framework/check/check.h framework/check/common.c \
	framework/check/mollifier.c framework/check/kernel.c framework/check/integrator.c \
	framework/check/comm_weight.c \
	framework/check/initial.c framework/check/model.c
kinlab_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/framework/cli -I$(top_srcdir)/framework/check $(GSL_CFLAGS)
kinlab_LDADD = framework/core/libkinlab.la $(GSL_LIBS) $(OPENMP_CFLAGS) -lm
if KL_MPI
kinlab_CPPFLAGS += $(MPI_CFLAGS)
kinlab_LDADD += $(MPI_LIBS)
endif
