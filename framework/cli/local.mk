# framework/cli/local.mk - the kinlab program.
bin_PROGRAMS += kinlab
kinlab_SOURCES = framework/cli/kinlab.c framework/cli/common.c framework/cli/commands.c framework/cli/compare_cmd.c framework/cli/bench_cmd.c \
	framework/cli/cli.h
kinlab_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/framework/cli
kinlab_LDADD = framework/core/libkinlab.la $(OPENMP_CFLAGS) -lm
if KL_MPI
kinlab_CPPFLAGS += $(MPI_CFLAGS)
kinlab_LDADD += $(MPI_LIBS)
endif
