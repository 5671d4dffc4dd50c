#!/bin/sh
# tests/python.sh - the kinlab Python package (python/kinlab) on the output of
# every example (tests/test_python.py, unittest): run with Debian's python3.
# SKIP (77) only when /usr/bin/python3 lacks numpy or h5py.
top=${KL_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
py=/usr/bin/python3
if ! $py -c 'import numpy, h5py' >/dev/null 2>&1; then
  echo "SKIP: $py cannot import numpy and h5py (apt-get install python3-numpy python3-h5py)"
  exit 77
fi
exec $py "$top/tests/test_python.py" -v
