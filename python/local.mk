# python/local.mk - the kinlab Python package (python/kinlab: kinlab.load reads
# run directories, kinlab.plot draws them), installed for Debian's python3
# (configure.ac: AM_PATH_PYTHON, dist-packages), its command-line front end
# kinlab-plot, and the test that reads the output of every example.
if KL_PYTHON
pkgpython_PYTHON = python/kinlab/__init__.py python/kinlab/config.py \
	python/kinlab/errors.py python/kinlab/run.py python/kinlab/plot.py
endif

# tools/kinlab-plot finds the package next to it in a source tree; the
# installed copy is told where `make install` put it.
bin_SCRIPTS = kinlab-plot
CLEANFILES += kinlab-plot
kinlab-plot: $(srcdir)/tools/kinlab-plot Makefile
	$(AM_V_GEN)sed -e 's|^INSTALLED_PYTHONDIR = None$$|INSTALLED_PYTHONDIR = "$(pythondir)"|' \
	  $(srcdir)/tools/kinlab-plot > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@

# kinlab.load on the output of every example (reduced sizes), checked against
# what kinlab wrote; SKIP (77) without numpy/h5py for /usr/bin/python3.
TESTS += tests/python.sh
EXTRA_DIST += python/local.mk tests/python.sh tests/test_python.py
