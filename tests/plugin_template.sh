#!/bin/sh
# tests/plugin_template.sh - install kinlab into a DESTDIR tree, build the
# out-of-tree plugin of examples/plugin-template against it with pkg-config and
# one compiler command, and run an experiment that names it via plugin_path;
# the examples and the template are installed under $(pkgdatadir).
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
# The examples and the plugin template are installed under $(pkgdatadir),
# the parent of the schema directory; the template is built from there.
pkgdata="$(dirname "$dest$KL_SCHEMADIR")"
for f in "$top_src"/examples/*.yaml "$top_src"/examples/plugin-template/*; do
  case $f in */plugin-template/*) sub=plugin-template ;; *) sub=examples ;; esac
  cmp "$f" "$pkgdata/$sub/$(basename "$f")" || {
    echo "$f is not installed as $pkgdata/$sub/$(basename "$f")"; exit 1; }
done
cp "$pkgdata"/plugin-template/screened_coulomb.c "$pkgdata"/plugin-template/experiment.yaml \
   "$work/"
cd "$work"
# The one compiler command of docs/writing-plugins.md.
${CC:-cc} -O2 -Wall -Wextra -Werror -shared -fPIC -o screened_coulomb.so screened_coulomb.c \
  $(pkg-config --cflags --libs kinlab)
kinlab="$dest$KL_BINDIR/kinlab"
"$kinlab" validate experiment.yaml
"$kinlab" validate "$pkgdata/examples/bkw2d.yaml" # an installed example, installed plugins
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
