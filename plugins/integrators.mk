# plugins/integrators.mk - see Makefile.am
