#!/bin/sh
# tests/plugin_template.sh - install kinlab into a DESTDIR tree, build the
# out-of-tree plugin of examples/plugin-template against it with pkg-config and
# one compiler command, and run an experiment that names it via plugin_path.
set -e
top_src=${KL_TOP_SRCDIR:?}
top_build=${KL_TOP_BUILDDIR:?}
work=$(mktemp -d /tmp/kinlab-template-XXXXXX)
trap 'rm -rf "$work"' EXIT
dest="$work/root"
make -C "$top_build" install DESTDIR="$dest" >"$work/install.log" 2>&1 || {
  tail -n 30 "$work/install.log"; exit 1; }
libdir="$dest$KL_LIBDIR"
export PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The installed plugins, not the build tree's.
export KINLAB_PLUGINDIR="$dest$KL_PLUGINDIR"
export KINLAB_PLUGIN_PATH="$dest$KL_PLUGINDIR"
test -f "$dest$KL_SCHEMADIR/experiment.schema.json"
test -f "$dest$KL_PREFIX/include/kinlab/kinlab.h"
cp "$top_src"/examples/plugin-template/screened_coulomb.c \
   "$top_src"/examples/plugin-template/experiment.yaml "$work/"
cd "$work"
# The one compiler command of docs/writing-plugins.md.
${CC:-cc} -O2 -Wall -Wextra -Werror -shared -fPIC -o screened_coulomb.so screened_coulomb.c \
  $(pkg-config --cflags --libs kinlab)
kinlab="$dest$KL_BINDIR/kinlab"
"$kinlab" validate experiment.yaml
# The experiment's plugin_path is searched with --experiment.
"$kinlab" plugins --describe screened_coulomb --experiment experiment.yaml \
  | grep -q "^screened_coulomb (kernel plugin)"
"$kinlab" run experiment.yaml --quiet --out "$work/run"
test -f "$work/run/timeseries.csv"
grep -q "screened_coulomb" "$work/run/config.resolved.yaml"
# Without plugin_path the kernel is unknown: a clear error, exit code 2.
sed '/^plugin_path/d' experiment.yaml > no_path.yaml
if "$kinlab" validate no_path.yaml 2>err.txt; then echo "expected a failure"; exit 1; fi
grep -q "screened_coulomb" err.txt
echo "plugin template: 1 passed, 0 failed"
