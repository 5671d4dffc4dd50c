"""kinlab-plot - figures of a kinlab run directory.

Usage: kinlab-plot RUN_DIR [--format png,pdf] [--out DIR] [--by KEY[:step|:count]]
                           [--eps EPS] [--grid M]

RUN_DIR is a single run (config.resolved.yaml, timeseries.csv, snapshots.h5,
summary.json in it) or an experiment with variants (one such directory per
variant).  Written to DIR (default RUN_DIR/plots), in every format asked for:

  invariants.*         drift of every invariant/diagnostic column relative to
                       its initial value (not the *_exact columns), all variants
                       on one figure
  errors.*             every *_error column against time, all variants
  convergence_KEY.*    log-log final error (also the errors against the reference
                       run from comparison.csv) against the resolution key KEY with
                       the fitted slopes (grouping and fit as `kinlab compare`,
                       docs/comparisons.md; the keys are guessed from their
                       names, not read from the parameters' resolution flags as
                       compare does: --by names one)
  particles_VARIANT.*  particle snapshots (first and last output time):
                       scatter, and the density mollified with a Gaussian blob
                       of variance eps (model.epsilon / mollifier eps of
                       config.resolved.yaml, else Silverman's rule)
  grid_VARIANT.*       grid snapshots: heatmaps of f(x, v) (first and last) and
                       the profiles h(t, v) = sup_x f(t, x, v) at every output
  work_precision.*     error against wall time, CPU time and rhs evaluations,
                       one curve per scheme family, from the work_precision.csv
                       that `kinlab compare` writes (exact-solution errors, else
                       errors against the reference run)

Every series has its own colour and marker (series_style: 10 colours x 11
markers, so up to 110 series are told apart; more also change line style).

Needs Debian's python3-matplotlib, python3-numpy and python3-h5py (without
h5py the snapshot figures are skipped).  Exit status: 0 success, 1 usage error
or not a run directory, 5 unreadable or malformed run files (what
kinlab.load refuses; a variant that did not complete is drawn, and left
out of the convergence plot).
"""
import argparse
import math
import os
import re
import sys

from . import config as _config
from .errors import KinlabError, MalformedRunError, NotARunError
from .run import BASE_COLUMNS as _BASE, load

BASE_COLUMNS = set(_BASE)


def fail(msg, code=1):
    print("kinlab-plot: error: " + msg, file=sys.stderr)
    sys.exit(code)


def warn(msg):
    print("kinlab-plot: warning: " + msg, file=sys.stderr)


try:
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:  # pragma: no cover - depends on the machine
    fail("%s: kinlab-plot needs python3-matplotlib and python3-numpy "
         "(apt-get install python3-matplotlib python3-h5py)" % e)

try:
    import h5py
except ImportError:
    h5py = None


# ------------------------------------------------------------------ reading
def config_text(value):
    """A configuration value as the text the resolution rule compares."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class Variant:
    """A run as the figures use it: flattened configuration (dotted key ->
    text), status, and the time series as a 2-D array.  Files that a run
    which did not complete never wrote are absent; malformed ones are errors."""

    def __init__(self, run):
        self.run, self.name, self.dir = run, run.name, run.path
        self.status, self.ok = run.status, run.completed
        config_path = os.path.join(run.path, "config.resolved.yaml")
        self.config = {k: config_text(v) for k, v in _config.flatten(run.config).items()} \
            if os.path.exists(config_path) else {}
        self.columns, self.data = None, None
        if os.path.exists(os.path.join(run.path, "timeseries.csv")):
            ts = run.timeseries
            self.columns = list(ts.dtype.names)
            self.data = np.array([ts[c] for c in self.columns], dtype=float).T.reshape(
                len(ts), len(self.columns))

    def col(self, name):
        if self.columns is None or name not in self.columns or self.data is None or \
                not len(self.data):
            return None
        return self.data[:, self.columns.index(name)]

    def final(self, name):
        c = self.col(name)
        if c is None:  # an error against the reference run (comparison.csv)
            return getattr(self, "reference_final", {}).get(name, math.nan)
        return c[-1]


def load_variants(run_dir):
    try:
        return [Variant(run) for run in load(run_dir, allow_incomplete=True)]
    except NotARunError as e:
        fail(str(e))
    except KinlabError as e:
        fail(str(e), 5)


# --------------------------------------------------------- resolution rule
def numeric(s):
    try:
        x = float(s)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) else math.nan


def same(a, b):
    if a == b:
        return True
    x, y = numeric(a), numeric(b)
    return x == y


def varying_keys(variants):
    keys = []
    for v in variants:
        for k in v.config:
            if k not in keys and k != "output.dir":
                keys.append(k)
    with_cfg = [v for v in variants if v.config]
    return [k for k in keys
            if any(not same(with_cfg[0].config.get(k), v.config.get(k)) for v in with_cfg[1:])]


def rule_of(key, variants):
    """"step" or "count" as the run's plugins declare the parameter
    (KL_PARAM_STEP_SIZE / KL_PARAM_COUNT, recorded in summary.json's
    "resolution"; a list item model.nv.0 is its parameter model.nv), or None:
    nothing is guessed from names, as in kinlab compare."""
    param = key
    while True:
        for v in variants:
            rule = (v.run.summary.get("resolution") or {}).get(param)
            if rule in ("step", "count"):
                return rule
        head, _, last = param.rpartition(".")
        if not head or not last.isdigit():
            return None
        param = head


def tied(variants, k, j):
    for a in range(len(variants)):
        for b in range(a + 1, len(variants)):
            ca, cb = variants[a].config, variants[b].config
            if same(ca.get(k), cb.get(k)) != same(ca.get(j), cb.get(j)):
                return False
    return True


def resolution_keys(variants, varying, by=None):
    """[(key, rule)]: by --by, else the varying keys whose parameters are
    flagged as a step size or a count (rule_of), as framework/compare/analyse.c
    chooses them."""
    if by:
        key, _, rule = by.partition(":")
        if key not in varying:
            fail("--by %s: that key does not vary between the variants" % key)
        return [(key, rule or rule_of(key, variants) or "step")]
    cands = []
    for want in ("count", "step"):
        for k in varying:
            if rule_of(k, variants) == want and all(not math.isnan(numeric(v.config.get(k)))
                                          for v in variants if v.config):
                cands.append(k)
    out = []
    for k in cands:
        if not any(tied(variants, used, k) for used, _ in out):
            out.append((k, rule_of(k, variants)))
    return out


def groups_for(variants, varying, key):
    """Variants grouped by the varying keys that are neither key nor tied to it."""
    others = [j for j in varying if j != key and not tied(variants, key, j)]
    groups = []
    for v in variants:
        x = numeric(v.config.get(key))
        if not (x > 0):
            continue
        for g in groups:
            if all(same(v.config.get(j), g[0].config.get(j)) for j in others):
                g.append(v)
                break
        else:
            groups.append([v])
    # label by the keys that refine the partition made by the keys before them
    shown = []
    for j in others:
        members = [v for g in groups for v in g]
        if any(all(same(a.config.get(i), b.config.get(i)) for i in shown) and
               not same(a.config.get(j), b.config.get(j))
               for x, a in enumerate(members) for b in members[x + 1:]):
            shown.append(j)
    labels = [", ".join("%s=%s" % (j.rsplit(".", 1)[-1], g[0].config.get(j)) for j in shown)
              for g in groups]
    return groups, labels


def lsq_slope(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if len(x) < 2 or np.all(x == x[0]):
        return math.nan
    mx, my = x.mean(), y.mean()
    return float(((x - mx) * (y - my)).sum() / ((x - mx) ** 2).sum())


# ------------------------------------------------------------------ figures
def save(fig, out_dir, stem, formats, written):
    for fmt in formats:
        p = os.path.join(out_dir, "%s.%s" % (stem, fmt))
        fig.savefig(p, dpi=120, bbox_inches="tight")
        written.append(p)
    plt.close(fig)


def safe_name(s):
    return re.sub(r"[^A-Za-z0-9_.=,-]", "_", s)[:120] or "run"


def drift_columns(variants):
    """The columns plotted as drifts: every quantity column but *_error and
    *_exact (an exact solution's value is not a drift; as kinlab compare,
    docs/comparisons.md), in order of first appearance."""
    quants = []
    for v in variants:
        for c in v.columns or []:
            if (c not in BASE_COLUMNS and not c.endswith("_error") and not c.endswith("_exact")
                    and c not in quants):
                quants.append(c)
    return quants


# ------------------------------------------------------------------ styles
SERIES_MARKERS = ["o", "s", "^", "v", "D", "P", "X", "*", "<", ">", "h"]
SERIES_LINESTYLES = ["-", "--", ":", "-."]


def series_style(k):
    """Colour, marker and line style of the k-th series of a figure: the
    colours (tab10) and markers (11) run with coprime periods, so series k and
    j differ in one of them unless k = j mod 110; beyond that the line style
    changes too."""
    colours = plt.get_cmap("tab10").colors
    return {"color": colours[k % len(colours)],
            "marker": SERIES_MARKERS[k % len(SERIES_MARKERS)],
            "linestyle": SERIES_LINESTYLES[(k // 110) % len(SERIES_LINESTYLES)]}


def plot_invariants(variants, out_dir, formats, written):
    quants = drift_columns(variants)
    if not quants:
        return
    n = len(quants)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    for ax, q in zip(axes.flat, quants):
        relative = True
        for k, v in enumerate(variants):
            t, y = v.col("t"), v.col(q)
            if t is None or y is None:
                continue
            y0 = y[0]
            st = series_style(k)
            st["markevery"] = max(1, len(t) // 12)
            if abs(y0) > 1e-12 and math.isfinite(y0):  # as kinlab compare
                ax.plot(t, (y - y0) / abs(y0), label=v.name, **st)
            else:
                relative = False
                ax.plot(t, y - y0, label=v.name, **st)
        ax.set_title(q)
        ax.set_xlabel("t")
        ax.set_ylabel("(q(t) − q(0)) / |q(0)|" if relative else "q(t) − q(0)")
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if len(variants) > 1:
        axes.flat[0].legend(fontsize="small")
    fig.suptitle("drift of the invariants and diagnostics")
    fig.tight_layout()
    save(fig, out_dir, "invariants", formats, written)


def plot_errors(variants, out_dir, formats, written):
    errs = []
    for v in variants:
        for c in v.columns or []:
            if c.endswith("_error") and c not in errs:
                errs.append(c)
    if not errs:
        return
    cols = min(len(errs), 3)
    rows = (len(errs) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    for ax, e in zip(axes.flat, errs):
        for k, v in enumerate(variants):
            t, y = v.col("t"), v.col(e)
            if t is None or y is None:
                continue
            pos = y > 0
            st = series_style(k)
            st["markevery"] = max(1, int(pos.sum()) // 12)
            if pos.any():
                ax.semilogy(t[pos], y[pos], label=v.name, **st)
        ax.set_title(e)
        ax.set_xlabel("t")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(errs):]:
        ax.set_visible(False)
    if len(variants) > 1:
        axes.flat[0].legend(fontsize="small")
    fig.tight_layout()
    save(fig, out_dir, "errors", formats, written)


# Reference errors drawn in the convergence plot: not those at round-off in a
# conservative method (mass, mean velocity), whose "orders" are noise.
REFERENCE_CONVERGENCE = ("ref_m2_error", "ref_m3_error", "ref_m4_error", "ref_l1_error",
                         "ref_l2_error", "ref_linf_error")


def attach_reference_errors(variants, run_dir):
    """The final errors against the reference run (the ref_*_error columns
    of the comparison.csv that `kinlab compare` wrote) as v.reference_final."""
    import csv
    path = os.path.join(run_dir, "comparison.csv")
    if not os.path.isfile(path):
        return []
    try:
        with open(path, newline="") as f:
            rows = {r.get("variant"): r for r in csv.DictReader(f)}
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        fail("%s: %s" % (path, e), 5)
    cols = []
    for v in variants:
        row = rows.get(v.name, {})
        v.reference_final = {c: numeric(row.get(c)) for c in REFERENCE_CONVERGENCE if c in row}
        cols += [c for c in v.reference_final if c not in cols]
    return [c for c in REFERENCE_CONVERGENCE if c in cols]


def plot_convergence(variants, out_dir, formats, written, by, reference_errors=()):
    if len(variants) < 2:
        return
    varying = varying_keys(variants)
    errs = []
    for v in variants:
        for c in v.columns or []:
            if c.endswith("_error") and c not in errs:
                errs.append(c)
    errs += [c for c in reference_errors if c not in errs]
    if not errs:
        return
    for key, rule in resolution_keys(variants, varying, by):
        groups, labels = groups_for(variants, varying, key)
        if not any(len(g) >= 2 for g in groups):
            continue
        cols = min(len(errs), 3)
        rows = (len(errs) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.6 * rows), squeeze=False)
        for ax, e in zip(axes.flat, errs):
            for k, (g, label) in enumerate(zip(groups, labels)):
                pts = []
                for v in g:
                    x, err = numeric(v.config.get(key)), abs(v.final(e))
                    if v.ok and err > 0 and math.isfinite(err):
                        pts.append((x, err))
                if len(pts) < 2:
                    continue
                pts.sort()
                x = np.array([p[0] for p in pts])
                y = np.array([p[1] for p in pts])
                s = 1 / x if rule == "count" else x
                p = lsq_slope(np.log(s), np.log(y))
                c = math.exp(np.mean(np.log(y) - p * np.log(s)))
                st = series_style(k)
                ax.loglog(x, y, st["marker"], color=st["color"], label="%s%sorder %.2f" %
                          (label, ": " if label else "", p))
                xx = np.geomspace(x.min(), x.max(), 50)
                ss = 1 / xx if rule == "count" else xx
                ax.loglog(xx, c * ss ** p, linestyle=st["linestyle"], color=st["color"],
                          alpha=0.6)
            ax.set_xlabel("%s (size %s)" % (key, "1/value" if rule == "count" else "value"))
            ax.set_ylabel("final " + e)
            ax.set_title(e)
            ax.grid(alpha=0.3, which="both")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize="small")
        for ax in list(axes.flat)[len(errs):]:
            ax.set_visible(False)
        fig.suptitle("observed order of convergence in %s (least-squares slopes)" % key)
        fig.tight_layout()
        save(fig, out_dir, "convergence_" + safe_name(key), formats, written)


def declared_blob_variance(snap, vname):
    """The attribute blob_variance of a snapshot's velocities: one positive,
    finite number, as kinlab writes it, or None when absent.  Anything else
    (a text, an empty array: a traceback before) is a malformed file."""
    raw = snap.attrs(vname).get("blob_variance") if hasattr(snap, "attrs") else None
    if raw is None:
        return None
    try:
        vals = np.ravel(np.asarray(raw, dtype=float))
    except (TypeError, ValueError):
        vals = np.array([])
    if vals.size != 1 or not (math.isfinite(vals[0]) and vals[0] > 0):
        raise MalformedRunError("%s: group %s: attribute blob_variance of %s is %r, expected "
                                "one positive, finite variance" % (snap.path, snap.group, vname,
                                                                   raw))
    return float(vals[0])


def blob_variance(v, vel, weights, override, declared=None):
    """Variance of the Gaussian blob used to draw a particle density.

    `declared` is the mollifier's own width (variance per component), which
    kinlab writes as the attribute blob_variance of the velocities of each
    snapshot when the mollifier declares one (every built-in does).  Without it
    (runs of kinlab before 2026-12, or a mollifier without `width`) eps is read
    from the configuration, knowing only the Gaussian (eps a variance) and the
    length scalings below."""
    if override:
        return override
    if declared is not None and declared > 0 and math.isfinite(declared):
        return declared
    cfg = v.config
    eps = math.nan
    for k in ("model.epsilon", "model.eps", "model.mollifier.epsilon", "model.mollifier.eps"):
        eps = numeric(cfg.get(k))
        if eps > 0:
            break
    if not eps > 0:  # the blob model's default eps = epsilon_coeff * h^epsilon_power, h = 2 box / n
        coeff, power = numeric(cfg.get("model.epsilon_coeff")), numeric(cfg.get("model.epsilon_power"))
        box, n = numeric(cfg.get("model.box")), numeric(cfg.get("model.n"))
        eps = coeff * (2 * box / n) ** power if box > 0 and n > 0 and coeff > 0 else math.nan
    if eps > 0:
        length = cfg.get("model.mollifier.scaling") == "length" or \
            cfg.get("model.mollifier.type") == "exponential"
        return eps * eps if length else eps
    # Silverman's rule of thumb for a Gaussian kernel density estimate.
    d, n = vel.shape
    sigma = float(np.sqrt(np.mean(np.var(vel, axis=1)))) or 1.0
    return (1.06 * sigma * n ** (-1.0 / (d + 4))) ** 2


def mollified_density(vel, w, var, m):
    """Gaussian blob sum on an m x m grid (d >= 2: the (v1, v2) marginal) or m
    points (d = 1)."""
    d, n = vel.shape
    r = 3 * math.sqrt(var)
    lo, hi = vel.min(axis=1) - r, vel.max(axis=1) + r
    if d == 1:
        g = np.linspace(lo[0], hi[0], m)
        f = np.zeros(m)
        for i0 in range(0, n, 512):
            diff = g[:, None] - vel[0, None, i0:i0 + 512]
            f += (np.exp(-diff ** 2 / (2 * var)) * w[None, i0:i0 + 512]).sum(axis=1)
        return (g,), f / math.sqrt(2 * math.pi * var)
    gx, gy = np.linspace(lo[0], hi[0], m), np.linspace(lo[1], hi[1], m)
    X, Y = np.meshgrid(gx, gy, indexing="xy")
    f = np.zeros_like(X)
    for i0 in range(0, n, 256):
        dx = X[..., None] - vel[0, i0:i0 + 256]
        dy = Y[..., None] - vel[1, i0:i0 + 256]
        f += (np.exp(-(dx ** 2 + dy ** 2) / (2 * var)) * w[i0:i0 + 256]).sum(axis=-1)
    return (gx, gy), f / (2 * math.pi * var)



def plot_particles(v, snaps, out_dir, formats, written, args):
    picks = [snaps[0], snaps[-1]] if len(snaps) > 1 else snaps[:1]
    fig, axes = plt.subplots(len(picks), 2, figsize=(10, 4.2 * len(picks)), squeeze=False)
    for row, g in zip(axes, picks):
        names = g.keys()
        t = g.t
        vname, wname = ("velocities", "weights") if "velocities" in names else ("v", "w")
        vel = np.atleast_2d(np.array(g[vname], dtype=float))
        n = vel.shape[1]
        w = np.array(g[wname], dtype=float) if wname in names else np.full(n, 1.0 / n)
        pos = np.atleast_2d(np.array(g["positions"], dtype=float)) if "positions" in names \
            else None
        ax = row[0]
        if pos is not None and vel.shape[0] == 1:
            ax.scatter(pos[0], vel[0], s=4, c=w, cmap="viridis")
            ax.set_xlabel("x")
            ax.set_ylabel("v")
        elif vel.shape[0] >= 2:
            ax.scatter(vel[0], vel[1], s=max(1, 2000 / max(n, 1)), c=w, cmap="viridis")
            ax.set_xlabel("v_x")
            ax.set_ylabel("v_y")
            ax.set_aspect("equal", adjustable="datalim")
        else:
            ax.scatter(vel[0], w, s=4)
            ax.set_xlabel("v")
            ax.set_ylabel("weight")
        ax.set_title("%s: %d particles, t = %.4g" % (v.name, n, t))
        var = blob_variance(v, vel, w, args.eps, declared_blob_variance(g, vname))
        grid, dens = mollified_density(vel, w, var, args.grid)
        ax = row[1]
        if len(grid) == 1:
            ax.plot(grid[0], dens)
            ax.set_xlabel("v")
            ax.set_ylabel("f_eps(v)")
        else:
            im = ax.imshow(dens, origin="lower", aspect="equal", cmap="viridis",
                           extent=(grid[0][0], grid[0][-1], grid[1][0], grid[1][-1]))
            fig.colorbar(im, ax=ax, shrink=0.85)
            ax.set_xlabel("v_x")
            ax.set_ylabel("v_y")
        ax.set_title("mollified density%s (Gaussian, variance %.3g)" %
                     (" (v_x, v_y) marginal" if vel.shape[0] > 2 else "", var))
    fig.tight_layout()
    save(fig, out_dir, "particles_" + safe_name(v.name), formats, written)


def grid_axes(attrs, shape):
    """Cell centres of the x and first v axis: from the attributes x_lo, dx,
    v_lo, dv of the f dataset when present, else cell indices."""
    def attr(name):
        return np.ravel(np.array(attrs[name], dtype=float)) if name in attrs else None
    x_lo, dx, v_lo, dv = attr("x_lo"), attr("dx"), attr("v_lo"), attr("dv")
    nx, nv = shape[0], shape[1] if len(shape) > 1 else 1
    x = x_lo[0] + (np.arange(nx) + 0.5) * dx[0] if x_lo is not None and dx is not None \
        else np.arange(nx, dtype=float)
    vs = v_lo[0] + (np.arange(nv) + 0.5) * dv[0] if v_lo is not None and dv is not None \
        else np.arange(nv, dtype=float)
    return x, vs, x_lo is not None and dx is not None, v_lo is not None and dv is not None


def plot_grid(v, snaps, out_dir, formats, written):
    picks = [snaps[0], snaps[-1]] if len(snaps) > 1 else snaps[:1]
    fig, axes = plt.subplots(1, len(picks) + 1, figsize=(4.8 * (len(picks) + 1), 4), squeeze=False)
    axes = axes[0]
    for ax, g in zip(axes, picks):
        arr = np.array(g["f"], dtype=float)
        t = g.t
        x, vs, xphys, vphys = grid_axes(g.attrs("f"), arr.shape)
        if arr.ndim >= 3 and arr.shape[0] == 1:  # homogeneous, d_v >= 2: f(v1, v2)
            img = arr[0].reshape(arr.shape[1], arr.shape[2], -1).sum(axis=2)
            im = ax.imshow(img.T, origin="lower", aspect="auto", cmap="viridis")
            ax.set_xlabel("v_1 cell")
            ax.set_ylabel("v_2 cell")
        else:  # f(x, v1), other velocity directions summed
            img = arr.reshape(arr.shape[0], arr.shape[1] if arr.ndim > 1 else 1, -1).sum(axis=2)
            im = ax.imshow(img.T, origin="lower", aspect="auto", cmap="viridis",
                           extent=(x[0] - (x[1] - x[0]) / 2 if len(x) > 1 else -0.5,
                                   x[-1] + (x[1] - x[0]) / 2 if len(x) > 1 else 0.5,
                                   vs[0] - (vs[1] - vs[0]) / 2 if len(vs) > 1 else -0.5,
                                   vs[-1] + (vs[1] - vs[0]) / 2 if len(vs) > 1 else 0.5))
            ax.set_xlabel("x" if xphys else "x cell")
            ax.set_ylabel("v" if vphys else "v cell")
        fig.colorbar(im, ax=ax, shrink=0.85)
        ax.set_title("%s: f, t = %.4g" % (v.name, t))
    ax = axes[-1]
    cmap = plt.get_cmap("viridis")
    for k, g in enumerate(snaps):
        arr = np.array(g["f"], dtype=float)
        if arr.ndim < 2:
            continue
        x, vs, _, vphys = grid_axes(g.attrs("f"), arr.shape)
        h = arr.reshape(arr.shape[0], arr.shape[1], -1).max(axis=(0, 2))
        ax.plot(vs, h, color=cmap(k / max(len(snaps) - 1, 1)),
                label="t = %.3g" % g.t if k in (0, len(snaps) - 1)
                else None)
    ax.set_xlabel("v" if vphys else "v cell")
    ax.set_ylabel("h(t, v) = sup_x f(t, x, v)")
    ax.set_title("profiles h(t, v), %d output times" % len(snaps))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    save(fig, out_dir, "grid_" + safe_name(v.name), formats, written)


# ------------------------------------------------------------ work-precision
WORK_COLUMNS = (("wall_s", "wall time [s]"), ("cpu_s", "CPU time [s]"),
                ("rhs_evals", "rhs evaluations"))
# The errors drawn, in this order of preference (at most three rows).
PREFERRED_ERRORS = ("l1_error", "m4_error", "ref_l1_error", "ref_m4_error", "ref_m2_error")


def read_work_precision(run_dir):
    """work_precision.csv of `kinlab compare` as (header, rows of dicts); None
    when there is none (a single run, no errors)."""
    import csv
    path = os.path.join(run_dir, "work_precision.csv")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
            header = list(rows[0].keys()) if rows else []
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        fail("%s: %s" % (path, e), 5)
    for need in ("family", "variant") + tuple(c for c, _ in WORK_COLUMNS):
        if rows and need not in header:
            fail("%s: no column %s (expected the header kinlab compare writes)" % (path, need), 5)
    return header, rows


def plot_work_precision(run_dir, out_dir, formats, written):
    table = read_work_precision(run_dir)
    if not table or not table[1]:
        return
    header, rows = table
    errs = [c for c in header if c.endswith("_error")]
    chosen = [e for e in PREFERRED_ERRORS if e in errs][:3] or errs[:1]
    if not chosen:
        return
    families = []
    for r in rows:
        if r["family"] not in families:
            families.append(r["family"])

    def value(r, c):
        try:
            x = float(r[c])
        except (TypeError, ValueError):
            return math.nan
        return x

    fig, axes = plt.subplots(len(chosen), len(WORK_COLUMNS),
                             figsize=(4.6 * len(WORK_COLUMNS), 3.6 * len(chosen)), squeeze=False)
    for i, e in enumerate(chosen):
        for j, (wc, wlabel) in enumerate(WORK_COLUMNS):
            ax = axes[i][j]
            for k, fam in enumerate(families):
                # in the table's order: coarse to fine along the resolution key
                pts = [(value(r, wc), value(r, e)) for r in rows if r["family"] == fam]
                pts = [(x, y) for x, y in pts if x > 0 and y > 0]
                if pts:
                    ax.loglog([p[0] for p in pts], [p[1] for p in pts], label=fam,
                              **series_style(k))
            ax.set_xlabel(wlabel)
            ax.set_ylabel(e)
            ax.grid(alpha=0.3, which="both")
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        axes[0][0].legend(fontsize="small")
    fig.suptitle("work–precision: %s" % ("against the reference run"
                                         if chosen[0].startswith("ref_") else "errors"))
    fig.tight_layout()
    save(fig, out_dir, "work_precision", formats, written)


def plot_snapshots(v, out_dir, formats, written, args):
    path = os.path.join(v.dir, "snapshots.h5")
    if not os.path.isfile(path):
        return
    if h5py is None:
        warn("python3-h5py is not installed: no snapshot figures for %s" % v.name)
        return
    try:
        snaps = list(v.run.snapshots)
        if not snaps:
            return
        last = snaps[-1].keys()
        if "velocities" in last or "v" in last:
            plot_particles(v, snaps, out_dir, formats, written, args)
        elif "f" in last:
            plot_grid(v, snaps, out_dir, formats, written)
    except KinlabError as e:
        warn(str(e))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="kinlab-plot", description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", help="a kinlab run directory (single run or variants)")
    ap.add_argument("--format", default="png,pdf", help="comma-separated: png,pdf (default both)")
    ap.add_argument("--out", help="output directory (default RUN_DIR/plots)")
    ap.add_argument("--by", help="resolution key KEY[:step|:count] (as kinlab compare --by)")
    ap.add_argument("--eps", type=float, help="blob variance for particle densities")
    ap.add_argument("--grid", type=int, default=120, help="density grid points per axis")
    args = ap.parse_args(argv)
    formats = [x.strip().lower() for x in args.format.split(",") if x.strip()]
    if not formats:  # was exit 0 with "nothing to plot"
        fail("--format %r: expected png, pdf or svg (comma-separated)" % args.format)
    for fmt in formats:
        if fmt not in ("png", "pdf", "svg"):
            fail("--format %s: expected png, pdf or svg" % fmt)
    if args.by and args.by.partition(":")[2] not in ("", "step", "count"):
        fail("--by %s: expected RULE step or count" % args.by)
    # Out of these ranges the density plot raised a traceback (--grid 0, -5,
    # --eps inf) or would not fit in memory (grid^2 points per particle).
    if args.eps is not None and not 0 < args.eps < math.inf:
        fail("--eps %s: expected a positive, finite variance" % args.eps)
    if not 2 <= args.grid <= 2000:
        fail("--grid %d: expected points per axis in 2..2000" % args.grid)
    variants = load_variants(args.run_dir)
    out_dir = args.out or os.path.join(args.run_dir, "plots")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        fail("cannot create %s: %s" % (out_dir, e), 5)
    written = []
    plot_invariants(variants, out_dir, formats, written)
    plot_errors(variants, out_dir, formats, written)
    plot_convergence(variants, out_dir, formats, written, args.by,
                     attach_reference_errors(variants, args.run_dir))
    plot_work_precision(args.run_dir, out_dir, formats, written)
    for v in variants:
        plot_snapshots(v, out_dir, formats, written, args)
    for p in written:
        print(p)
    if not written:
        warn("nothing to plot in %s" % args.run_dir)
    return 0
