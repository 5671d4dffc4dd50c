"""kinlab.load(): the run directories that `kinlab run` writes (see
docs/experiment-format.md and docs/comparisons.md for their layout).

A run directory holds config.resolved.yaml, timeseries.csv, summary.json,
run.log and, with output.snapshots, snapshots.h5 (one group output_NNNNNN per
snapshot, attribute t).  An experiment with variants or a sweep holds one such
directory per variant (and experiment.yaml, comparison.csv/.md).
"""
import errno
import functools
import json
import math
import hashlib
import os
import re

import numpy as np

from . import config as _config
from .errors import IncompleteRunError, KinlabError, MalformedRunError, NotARunError

# What makes a directory a run directory (as kinlab compare decides).
RUN_FILES = ("config.resolved.yaml", "summary.json", "timeseries.csv", "run.log")
BASE_COLUMNS = ("t", "step", "dt", "accepted", "rejected", "rhs_evals", "wall_s")
# A field as printf("%.17g") writes it, or what it writes for a missing value.
_NUMBER = re.compile(r"^(?:[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|-?nan|-?inf)$")
_MISSING = object()


def natural_cmp(a, b):
    """kinlab's order of variant names (natural_cmp in framework/compare/read.c):
    runs of ASCII digits compare as numbers ("n=9" < "n=10", leading zeros
    ignored), other bytes as bytes."""
    # surrogateescape: a directory name that is not UTF-8 (os.listdir's
    # surrogates) compares by its bytes too, instead of raising.
    a, b = a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape")
    digit = lambda s, k: k < len(s) and 48 <= s[k] <= 57  # noqa: E731
    i = j = 0
    while i < len(a) and j < len(b):
        if digit(a, i) and digit(b, j):
            while a[i:i + 1] == b"0":
                i += 1
            while b[j:j + 1] == b"0":
                j += 1
            la = lb = 0
            while digit(a, i + la):
                la += 1
            while digit(b, j + lb):
                lb += 1
            if la != lb:
                return -1 if la < lb else 1
            if a[i:i + la] != b[j:j + lb]:
                return -1 if a[i:i + la] < b[j:j + lb] else 1
            i += la
            j += lb
        else:
            if a[i] != b[j]:
                return -1 if a[i] < b[j] else 1
            i += 1
            j += 1
    return 1 if i < len(a) else -1 if j < len(b) else 0


def _has_run_files(d):
    return any(os.path.isfile(os.path.join(d, f)) for f in RUN_FILES)


def _read_text(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        raise MalformedRunError("%s: is a directory, expected a file" % path) from None
    except OSError as e:
        raise KinlabError("%s: cannot read: %s" % (path, e.strerror or e)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MalformedRunError("%s: byte %d: not UTF-8" % (path, e.start)) from None


def read_summary(path):
    """summary.json as a dict: strict JSON (no NaN, no duplicate members), an
    object with a string member "status"."""
    def no_duplicates(pairs):
        out = {}
        for k, v in pairs:
            if k in out:
                raise MalformedRunError("%s: duplicate member \"%s\"" % (path, k))
            out[k] = v
        return out

    def no_constant(name):
        raise MalformedRunError("%s: %s is not JSON (kinlab writes null)" % (path, name))

    def finite(text):
        x = float(text)
        if not math.isfinite(x):
            raise MalformedRunError("%s: number %s beyond a double" % (path, text))
        return x

    text = _read_text(path)
    try:
        summary = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant,
                             parse_float=finite)
    except json.JSONDecodeError as e:
        raise MalformedRunError("%s:%d:%d: not valid JSON: %s" % (path, e.lineno, e.colno, e.msg)) \
            from None
    if not isinstance(summary, dict):
        raise MalformedRunError("%s: expected a JSON object, found %s" %
                                (path, type(summary).__name__))
    if not isinstance(summary.get("status"), str):
        raise MalformedRunError("%s: member \"status\": expected a string (completed or the "
                                "failure), found %r" % (path, summary.get("status")))
    return summary


def read_timeseries(path, complete=True):
    """timeseries.csv as a structured array (one float64 field per column, the
    header's names).  A last line without newline (cut while being written) is
    an error when COMPLETE, else left out."""
    text = _read_text(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    elif lines and not complete:
        lines.pop()  # the row being written when the run stopped
    elif lines:
        raise MalformedRunError("%s:%d: the last line has no newline (a row cut short), in a "
                                "completed run" % (path, len(lines)))
    if not lines:
        raise MalformedRunError("%s: empty, expected a header line" % path)
    names = lines[0].split(",")
    for k, name in enumerate(names):
        if not name or re.search(r"[\s\"']", name):
            raise MalformedRunError("%s:1: column %d: expected a name without spaces or quotes, "
                                    "found %r" % (path, k + 1, name))
        if name in names[:k]:
            raise MalformedRunError("%s:1: column %d: duplicate column name %s" %
                                    (path, k + 1, name))
    if tuple(names[:len(BASE_COLUMNS)]) != BASE_COLUMNS:
        raise MalformedRunError("%s:1: expected the header to start with %s, found %s" %
                                (path, ",".join(BASE_COLUMNS), lines[0]))
    rows = []
    for number, line in enumerate(lines[1:], 2):
        fields = line.split(",")
        if len(fields) != len(names):
            raise MalformedRunError("%s:%d: %d fields, expected %d (the header's)" %
                                    (path, number, len(fields), len(names)))
        for k, field in enumerate(fields):
            if not _NUMBER.match(field):
                raise MalformedRunError("%s:%d: column %s: expected a number, found %r" %
                                        (path, number, names[k], field))
        rows.append(tuple(float(x) for x in fields))
    data = np.array(rows, dtype=[(n, np.float64) for n in names])
    t = data["t"]
    if len(t) > 1 and not np.all(np.diff(t) > 0):
        k = int(np.argmin(np.diff(t) > 0))
        raise MalformedRunError("%s:%d: t = %r after t = %r, expected t strictly increasing" %
                                (path, k + 3, t[k + 1], t[k]))
    return data


class Snapshot:
    """One snapshot group (output_NNNNNN) of snapshots.h5: its output index,
    time t, dataset names; the datasets are read when asked for, as numpy
    arrays (snap["velocities"], snap["f"], ...)."""

    def __init__(self, path, group, index, t):
        self.path, self.group, self.index, self.t = path, group, index, t

    def _open(self):
        return _open_h5(self.path)

    def keys(self):
        with self._open() as f:
            return list(f[self.group].keys())

    def __contains__(self, name):
        with self._open() as f:
            return name in f[self.group]

    def __getitem__(self, name):
        with self._open() as f:
            g = f[self.group]
            if name not in g:
                raise KeyError("%s: snapshot %s (t = %.17g) has no dataset '%s'; it has %s" %
                               (self.path, self.group, self.t, name, ", ".join(g.keys())))
            return np.array(g[name])

    def attrs(self, name):
        """The attributes of dataset NAME (grid snapshots: x_lo, dx, v_lo, dv)."""
        with self._open() as f:
            return {k: np.array(v) for k, v in f[self.group][name].attrs.items()}

    def __repr__(self):
        return "<Snapshot %s t=%.6g>" % (self.group, self.t)


def _open_h5(path):
    try:
        import h5py
    except ImportError as e:
        raise ImportError("%s: reading snapshots needs h5py (apt-get install python3-h5py)" %
                          e) from None
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise MalformedRunError("%s: cannot open as HDF5: %s" % (path, e)) from None


def _text(value):
    """An HDF5 string attribute or scalar dataset as str (h5py gives bytes)."""
    value = np.ravel(value)[0] if isinstance(value, np.ndarray) else value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _check_snapshots_of_run(path, f):
    """snapshots.h5 names the configuration digest of the run that wrote it
    (root attribute config_sha256, as kinlab's restart checks): a file copied
    from another run is refused when it differs from the run's checkpoint.h5.
    Files of runs written before the attribute existed carry none."""
    theirs = f.attrs.get("config_sha256")
    ckpt = os.path.join(os.path.dirname(path), "checkpoint.h5")
    if theirs is None or not os.path.isfile(ckpt):
        return
    with _open_h5(ckpt) as c:
        ours = c["config_sha256"][()] if "config_sha256" in c else None
    if ours is not None and _text(theirs) != _text(ours):
        raise MalformedRunError("%s belongs to another run: its configuration SHA-256 %.12s... "
                                "is not the checkpoint's %.12s..." %
                                (path, _text(theirs), _text(ours)))


class Snapshots:
    """The snapshots of a run in output order: a sequence of Snapshot, with
    .times (numpy array).  Empty when the run wrote no snapshots.h5."""

    def __init__(self, path):
        self.path = path
        self._list = []
        if not os.path.isfile(path):
            return
        with _open_h5(path) as f:
            _check_snapshots_of_run(path, f)
            for name in f.keys():
                m = re.match(r"^output_([0-9]+)$", name)
                if not m:
                    continue
                t = f[name].attrs.get("t")
                try:
                    t = float(np.ravel(t)[0])
                except (TypeError, ValueError, IndexError):
                    raise MalformedRunError("%s: group %s: expected a number attribute t, "
                                            "found %r" % (path, name, t)) from None
                if not math.isfinite(t):
                    raise MalformedRunError("%s: group %s: attribute t = %r, expected a finite "
                                            "time" % (path, name, t))
                self._list.append(Snapshot(path, name, int(m.group(1)), t))
        self._list.sort(key=lambda s: s.index)  # output_1000000 after output_999999

    @property
    def times(self):
        return np.array([s.t for s in self._list])

    def __len__(self):
        return len(self._list)

    def __iter__(self):
        return iter(self._list)

    def __getitem__(self, i):
        return self._list[i]

    def __repr__(self):
        return "<Snapshots %d in %s>" % (len(self._list), self.path)


class Run:
    """One run directory (a single run, or one variant of an experiment).

    name         the variant's name (the directory's name)
    path         the directory
    summary      summary.json as a dict; status, message, completed from it
    config       config.resolved.yaml as nested dicts/lists (YAML 1.2 types)
    param(key)   one value of config by its dotted path ("model.mollifier.type")
    timeseries   timeseries.csv as a numpy structured array: ts["t"], ts[-1]
    columns      its column names
    final        {column: value} of the last row
    snapshots    the snapshot groups of snapshots.h5 (Snapshots), read lazily
    """

    def __init__(self, path, name=None, allow_incomplete=False):
        self.path = path
        self.name = name if name is not None else \
            os.path.basename(os.path.normpath(os.path.abspath(path)))
        summary_path = os.path.join(path, "summary.json")
        if not os.path.exists(summary_path):
            if not allow_incomplete:
                raise IncompleteRunError("%s: no summary.json: the run has not finished (%s)" %
                                         (path, _why_no_summary(path)))
            self.summary = {"status": "failed", "message": "no summary.json"}
        else:
            self.summary = read_summary(summary_path)
        # As kinlab compare: a variant's files copied into another's directory
        # would show one variant's results under the other's name.
        recorded = self.summary.get("variant")
        if name is not None and isinstance(recorded, str) and recorded and recorded != name:
            raise MalformedRunError("%s/summary.json is of variant '%s', found in the directory "
                                    "of variant '%s' (copied from another?)" %
                                    (path, recorded, name))
        self.status = self.summary["status"]
        self.message = self.summary.get("message", "")
        self.completed = self.status == "completed"
        if not self.completed and not allow_incomplete:
            raise IncompleteRunError("%s: the run did not complete: status %s%s (load with "
                                     "allow_incomplete=True to read what it wrote)" %
                                     (path, self.status,
                                      ": " + self.message if self.message else ""))
        self._config = self._timeseries = self._snapshots = None

    # ------------------------------------------------------------- contents
    @property
    def config(self):
        if self._config is None:
            p = os.path.join(self.path, "config.resolved.yaml")
            text = _read_text(p)
            # summary.json records the hash of the file as kinlab wrote it: an
            # edited file would show values that were not run.
            want = self.summary.get("config_file_sha256")
            if isinstance(want, str) and want:
                with open(p, "rb") as f:
                    got = hashlib.sha256(f.read()).hexdigest()
                if got != want:
                    raise MalformedRunError("%s was changed after the run: its SHA-256 differs "
                                            "from config_file_sha256 in summary.json" % p)
            tree = _config.parse_yaml(text, p)
            if not isinstance(tree, dict):
                raise MalformedRunError("%s: expected a mapping (the experiment), found %s" %
                                        (p, type(tree).__name__))
            self._config = tree
        return self._config

    def param(self, key, default=_MISSING):
        """The configuration value at the dotted path KEY (list items by index)."""
        node = self.config
        for part in key.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            # ASCII digits only: str.isdigit() takes "²" (int() then raises
            # ValueError) and int() reads "٠" as 0
            elif isinstance(node, list) and re.fullmatch("[0-9]+", part) and \
                    int(part) < len(node):
                node = node[int(part)]
            elif default is not _MISSING:
                return default
            else:
                raise KeyError("%s: no key %s in config.resolved.yaml" % (self.path, key))
        return node

    @property
    def timeseries(self):
        if self._timeseries is None:
            p = os.path.join(self.path, "timeseries.csv")
            ts = read_timeseries(p, complete=self.completed)
            if self.completed:
                self._check_against_summary(p, ts)
            self._timeseries = ts
        return self._timeseries

    def _check_against_summary(self, p, ts):
        outputs = self.summary.get("outputs")
        if isinstance(outputs, int) and outputs != len(ts):
            raise MalformedRunError("%s: %d rows, but summary.json says outputs = %d" %
                                    (p, len(ts), outputs))
        t = self.summary.get("t")
        if isinstance(t, (int, float)) and len(ts) and ts["t"][-1] != t:
            raise MalformedRunError("%s: last row at t = %.17g, but summary.json says t = %.17g"
                                    % (p, ts["t"][-1], t))

    @property
    def columns(self):
        return list(self.timeseries.dtype.names)

    @property
    def final(self):
        ts = self.timeseries
        return {n: float(ts[n][-1]) for n in ts.dtype.names} if len(ts) else {}

    @property
    def snapshots(self):
        if self._snapshots is None:
            self._snapshots = Snapshots(os.path.join(self.path, "snapshots.h5"))
        return self._snapshots

    # ------------------------------------- a run is its own only variant
    @property
    def names(self):
        return [self.name]

    def __iter__(self):
        yield self

    def __len__(self):
        return 1

    def __getitem__(self, key):
        if key in (0, -1, self.name):
            return self
        raise KeyError("%s is a single run (%s); no variant %r" % (self.path, self.name, key))

    def __repr__(self):
        return "<kinlab.Run %s (%s)>" % (self.name, self.status)


def _why_no_summary(path):
    """Whether a kinlab process holds the run directory's lock (still running)."""
    lock = os.path.join(path, ".kinlab-run.lock")
    try:
        import fcntl
        with open(lock, "r", encoding="ascii", errors="replace") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError as e:
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    return "process %s is still writing it" % (f.read().strip() or "(unknown)")
    except (OSError, ImportError):
        pass
    return "still running, or stopped: continue it with kinlab run --restart"


class Experiment:
    """A run directory holding variants: iterate over its Runs, in kinlab's
    order (natural order of the names, as kinlab compare lists them), or pick
    one by name (exp["n=16"]) or position."""

    def __init__(self, path, names, allow_incomplete=False):
        self.path = path
        self.name = os.path.basename(os.path.normpath(os.path.abspath(path)))
        self.runs = [Run(os.path.join(path, n), n, allow_incomplete) for n in names]

    @property
    def names(self):
        return [r.name for r in self.runs]

    def __iter__(self):
        return iter(self.runs)

    def __len__(self):
        return len(self.runs)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.runs[key]
        for r in self.runs:
            if r.name == key:
                return r
        raise KeyError("%s: no variant %r; the variants are %s" %
                       (self.path, key, ", ".join(self.names)))

    def __repr__(self):
        return "<kinlab.Experiment %s: %d variants>" % (self.name, len(self.runs))


def variant_names(path):
    """The variant directories of PATH in kinlab's order, [] for a single run."""
    if not os.path.isdir(path):
        raise NotARunError("%s: %s" % (path, "no such directory" if not os.path.exists(path)
                                       else "not a directory"))
    if _has_run_files(path):
        return []
    names = [n for n in os.listdir(path)
             if not n.startswith(".") and os.path.isdir(os.path.join(path, n))
             and _has_run_files(os.path.join(path, n))]
    if not names:
        raise NotARunError("%s is not a kinlab run directory: no config.resolved.yaml, "
                           "summary.json or timeseries.csv in it or in its sub-directories" % path)
    return sorted(names, key=functools.cmp_to_key(lambda a, b: natural_cmp(a, b) or
                                                  (a > b) - (a < b)))


def load(path, allow_incomplete=False):
    """The run directory PATH: a Run (single run) or an Experiment (variants).

    Raises NotARunError when PATH holds no run, IncompleteRunError when a run
    did not complete (unless allow_incomplete), MalformedRunError when a file
    is not what kinlab writes (checked when it is first read)."""
    path = os.fspath(path)
    names = variant_names(path)
    if not names:
        return Run(path, allow_incomplete=allow_incomplete)
    return Experiment(path, names, allow_incomplete)
