#!/bin/bash
# tests/bad_inputs.sh - the bad-input suite (issue 9): runs the built `kinlab`
# once per case in tests/bad_inputs/*.yaml and checks that it fails cleanly:
# the expected exit code, the expected pieces of stderr, no crash (signal or
# exit >= 128) and no hang (20 s).  Run by `make check`; by hand:
#   KL_TOP_SRCDIR=$PWD KL_TOP_BUILDDIR=$PWD/build tests/bad_inputs.sh [CASE...]
#
# Case headers (comment lines anywhere in the file; the file is the input):
#   # expect: exit=N stderr="text" stderr="text"...   (several lines add up)
#   # args: validate @CASE@ --set a.b=1   (default: validate @CASE@; shell words)
#   # setup: SHELL COMMAND                 (run before, in the case's directory)
#   # check: SHELL COMMAND                 (must succeed after the run)
#   # ulimit: -f 8                         (limits for kinlab only; SIGXFSZ ignored)
#   # env: NAME=VALUE...                   (environment of kinlab only; shell words,
#                                           $KINLAB_PLUGIN_PATH is the suite's own)
#   # stdout: text                         (a piece of stdout, for exit=0 cases)
#   # xfail: REASON                        (a known bug: a failure is XFAIL, a pass XPASS)
# Under KL_SANITIZED (the ASan build), cases with `# ulimit: -v` are skipped.
# Placeholders: @CASE@ the case file (copied, with placeholders replaced, to a
# scratch directory that is the working directory), @TMP@ that directory,
# @SRC@ / @BUILD@ the top source / build directories.
set -u
src=${KL_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${KL_TOP_BUILDDIR:-$PWD}
kinlab=$build/kinlab
cases_dir=$src/tests/bad_inputs
timeout_s=${BAD_INPUTS_TIMEOUT:-20}
[ -x "$kinlab" ] || { echo "bad_inputs: $kinlab not built"; exit 99; }
if [ -z "${KINLAB_PLUGIN_PATH:-}" ]; then
  KINLAB_PLUGIN_PATH=$(ls -d "$build"/plugins/*/.libs 2>/dev/null | tr '\n' ':')
  export KINLAB_PLUGIN_PATH
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kinlab-bad-inputs-XXXXXX") || exit 99
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
ulimit -c 0

if [ $# -gt 0 ]; then
  cases=("$@")
else
  cases=("$cases_dir"/*.yaml)
fi

n_pass=0 n_fail=0 n_xfail=0 n_xpass=0 n_skip=0
failed=()
header() { # header NAME FILE: values of "# NAME: ..." lines, one per line
  sed -n "s/^[[:space:]]*# $1: \{0,1\}//p" "$2"
}
for case in "${cases[@]}"; do
  [ -f "$case" ] || case=$cases_dir/$case
  name=$(basename "$case")
  dir=$scratch/${name%.yaml}
  mkdir -p "$dir"
  subst() { sed -e "s|@CASE@|$name|g" -e "s|@TMP@|$dir|g" -e "s|@SRC@|$src|g" \
                -e "s|@BUILD@|$build|g"; }
  subst < "$case" > "$dir/$name"
  cf=$dir/$name
  expect=$(header expect "$cf")
  want_exit=$(printf '%s\n' "$expect" | grep -o 'exit=[0-9]*' | tail -n 1 | cut -d= -f2)
  args=$(header args "$cf" | tail -n 1)
  [ -n "$args" ] || args="validate $name"
  limits=$(header ulimit "$cf" | tr '\n' ' ')
  envs=$(header env "$cf" | tr '\n' ' ')
  xfail=$(header xfail "$cf" | head -n 1)
  # AddressSanitizer reserves terabytes of shadow memory at start-up, so a case
  # under a virtual-memory limit cannot run in the sanitized build (make check
  # KL_SANITIZED=1, tools/run-tests); the plain build runs it.
  if [ -n "${KL_SANITIZED:-}" ] && printf '%s' "$limits" | grep -q -- '-v'; then
    n_skip=$((n_skip + 1)); echo "SKIP: $name (ulimit -v under AddressSanitizer)"
    continue
  fi
  why=""
  if [ -z "$want_exit" ]; then
    why="no '# expect: exit=N' header"
  else
    while IFS= read -r s; do
      [ -n "$s" ] || continue
      (cd "$dir" && sh -c "$s") > "$dir/.setup.log" 2>&1 || why="setup failed: $s: $(tail -n 3 "$dir/.setup.log")"
    done <<< "$(header setup "$cf")"
  fi
  if [ -z "$why" ]; then
    start=$(date +%s.%N)
    (cd "$dir" && trap '' XFSZ && eval "ulimit $limits" 2>/dev/null;
     eval "exec env $envs timeout -s KILL $timeout_s \"$kinlab\" $args") \
      > "$dir/.stdout" 2> "$dir/.stderr" < /dev/null
    got=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo 0)
    printf '%.0f\n' "$secs" > "$dir/.elapsed" 2>/dev/null
    if [ $got -eq 137 ] || [ $got -eq 124 ]; then
      why="hung: killed after ${timeout_s} s"
    elif [ $got -ge 128 ]; then
      why="crashed: exit $got (signal $((got - 128)))"
    elif [ "$got" != "$want_exit" ]; then
      why="exit $got, expected $want_exit"
    fi
    if [ -z "$why" ]; then
      while IFS= read -r piece; do
        [ -n "$piece" ] || continue
        grep -qF -- "$piece" "$dir/.stderr" || { why="stderr lacks \"$piece\""; break; }
      done <<< "$(printf '%s\n' "$expect" | grep -o 'stderr="[^"]*"' | sed 's/^stderr="//; s/"$//')"
    fi
    if [ -z "$why" ]; then
      while IFS= read -r piece; do
        [ -n "$piece" ] || continue
        grep -qF -- "$piece" "$dir/.stdout" || { why="stdout lacks \"$piece\""; break; }
      done <<< "$(header stdout "$cf")"
    fi
    if [ -z "$why" ]; then
      while IFS= read -r c; do
        [ -n "$c" ] || continue
        (cd "$dir" && sh -c "$c") > "$dir/.check.log" 2>&1 || { why="check failed: $c"; break; }
      done <<< "$(header check "$cf")"
    fi
  fi
  if [ -n "$xfail" ]; then
    if [ -n "$why" ]; then
      n_xfail=$((n_xfail + 1)); echo "XFAIL: $name ($why) -- $xfail"
    else
      n_xpass=$((n_xpass + 1)); echo "XPASS: $name (fixed? remove its xfail header)"
    fi
  elif [ -n "$why" ]; then
    n_fail=$((n_fail + 1)); failed+=("$name")
    echo "FAIL: $name: $why"
    echo "  kinlab $args"
    sed 's/^/  stderr: /' "$dir/.stderr" 2>/dev/null | head -n 5
  else
    n_pass=$((n_pass + 1)); echo "PASS: $name (${secs} s)"
  fi
done
echo "bad_inputs: $n_pass passed, $n_fail failed, $n_xfail xfail, $n_xpass xpass, $n_skip skipped (of ${#cases[@]})"
[ $n_fail -eq 0 ]
