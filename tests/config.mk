# tests/config.mk - see Makefile.am
