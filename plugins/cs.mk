# plugins/cs.mk - see Makefile.am
