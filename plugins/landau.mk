# plugins/landau.mk - see Makefile.am
