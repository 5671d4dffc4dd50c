#!/usr/bin/python3
"""Figures and tables of docs/cucker_smale.md (paper 004) from kinlab run directories.

usage: tools/cs_figures.py TABLE1_DIR TABLE1_FINE_DIR PVK_DIR OUT_DIR
  TABLE1_DIR      kinlab run examples/cs_table1.yaml (variants gamma0.1, gamma1, gamma5, ...)
  TABLE1_FINE_DIR the same for gamma = 1 with output_every 0.05 (Fig. 1)
  PVK_DIR         kinlab run examples/cs_particles_vs_kinetic.yaml
Writes cs_fig1_invariants.png, cs_fig2_h.png, cs_fig2b_h_first_order.png, cs_fig3_heatmaps.png,
cs_pvk.png into
OUT_DIR and prints the Table 1 tables and the particle-vs-kinetic table (markdown) on stdout.
Needs Debian's python3-matplotlib, python3-numpy, python3-h5py, python3-yaml."""
import csv
import os
import sys

import h5py
import yaml
import matplotlib
matplotlib.use("Agg")
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np


def ts(d):
    rows = list(csv.DictReader(open(os.path.join(d, "timeseries.csv"))))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def snaps(d):
    f = h5py.File(os.path.join(d, "snapshots.h5"), "r")
    return f, sorted(k for k in f if k.startswith("output_"))


def variant_dirs(d):
    return sorted((v for v in os.listdir(d) if os.path.isdir(os.path.join(d, v))),
                  key=lambda v: os.path.getmtime(os.path.join(d, v, "config.resolved.yaml")))


def scheme(d):
    m = yaml.safe_load(open(os.path.join(d, "config.resolved.yaml")))["model"]
    return "%s, %s" % (m["alignment"], m["splitting"])


def table1(t1, fine):
    """Table 1 rows: drifts T - 0, energy and H at 0 and T, min f, max f(T), and the
    H rate of the last output interval against Prop. 2.1 (cs_entropy_rate)."""
    print("| variant | alignment, splitting | wall [s] | mass drift | momentum drift | energy 0 → T "
          "| H 0 → T | min f | max f(T) | dH/dt ratio, last interval |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for v in variant_dirs(t1):
        s = ts(os.path.join(t1, v))
        print("| %s | %s | %.1f | %.1e | %.1e | %.5f → %.5f | %.5f → %.5f | %.3g | %.4g | %.3f |" % (
            v, scheme(os.path.join(t1, v)), s["wall_s"][-1], s["mass"][-1] - s["mass"][0],
            s["momentum_x"][-1] - s["momentum_x"][0], s["energy"][0], s["energy"][-1],
            s["entropy"][0], s["entropy"][-1], s["f_min"].min(), s["f_max"][-1],
            s["H_rate_ratio"][-1]))
    print()
    print("| fine run (output every %g) | max abs(momentum(t) - momentum(0)) | energy non-increasing "
          "| min H (at t) | dH/dt ratio at T | at T/2 |" % (lambda s: s["t"][1] - s["t"][0])(
              ts(os.path.join(fine, variant_dirs(fine)[0]))))
    print("|---|---|---|---|---|---|")
    for v in variant_dirs(fine):
        s = ts(os.path.join(fine, v))
        k, h = int(np.argmin(s["entropy"])), len(s["t"]) // 2
        print("| %s | %.1e | %s | %.5f (%g) | %.3f | %.3f |" % (
            v, np.abs(s["momentum_x"] - s["momentum_x"][0]).max(),
            "yes" if np.all(np.diff(s["energy"]) <= 1e-15) else "no",
            s["entropy"][k], s["t"][k], s["H_rate_ratio"][-1], s["H_rate_ratio"][h]))
    print()


def fig1(fine, out):
    fig, ax = plt.subplots(2, 2, figsize=(8, 5.5))
    labels = {"gamma1": "remap alignment, Strang", "gamma1_lie": "remap alignment, Lie",
              "gamma1_exact_map": "exact map + linear splitting, Strang",
              "gamma1_paper_like": "interface upwind (paper-like), Strang",
              "gamma1_balanced": "interface upwind, balanced u*, Strang"}
    for v, lab in labels.items():
        p = os.path.join(fine, v)
        if not os.path.isdir(p):
            continue
        s = ts(p)
        t = s["t"]
        ax[0, 0].semilogy(t[1:], np.abs(s["mass"][1:] - s["mass"][0]) + 1e-18, label=lab)
        ax[0, 1].semilogy(t[1:], np.abs(s["momentum_x"][1:] - s["momentum_x"][0]) + 1e-18,
                          label=lab)
        ax[1, 0].plot(t, s["energy"], label=lab)
        ax[1, 1].plot(t, s["entropy"], label=lab)
    for a, ttl in zip(ax.flat, ["|mass(t) - mass(0)|", "|momentum(t) - momentum(0)|",
                                "energy  int |v|^2 f", "entropy H = int f log f"]):
        a.set_title(ttl, fontsize=9)
        a.set_xlabel("t", fontsize=8)
        a.tick_params(labelsize=7)
    ax[0, 1].legend(fontsize=7)
    fig.suptitle("Table 1 setting, gamma = 1: invariants vs t (400 x 600 cells, dt = 1e-4)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "cs_fig1_invariants.png"), dpi=80)


def fig2(t1, out, gs=("gamma0.1", "gamma1", "gamma5"), name="cs_fig2_h.png"):
    gs = [g for g in gs if os.path.isdir(os.path.join(t1, g))]
    fig, ax = plt.subplots(1, len(gs), figsize=(3.7 * len(gs), 3.4))
    for a, g in zip(ax, gs):
        f, keys = snaps(os.path.join(t1, g))
        fd = f[keys[0]]["f"]
        v = fd.attrs["v_lo"][0] + fd.attrs["dv"][0] * (np.arange(fd.shape[1]) + 0.5)
        for k in keys:
            a.plot(v, f[k]["h"][:], lw=1, label="t = %g" % f[k].attrs["t"])
        a.set_xlim(-1.6, 1.0)
        a.set_title("h(t, v) = sup_x f, %s" % g.replace("gamma", "gamma = ").replace("_", ", ", 1),
                    fontsize=9)
        a.set_xlabel("v", fontsize=8)
        a.tick_params(labelsize=7)
        if g.startswith("gamma5"):
            a.set_yscale("log")
    ax[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, name), dpi=80)


def fig3(t1, out):
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    for a, g in zip(ax, ["gamma0.1", "gamma5"]):
        f, keys = snaps(os.path.join(t1, g))
        d = f[keys[-1]]["f"]
        A = d[:]
        x0, dx, v0, dv = d.attrs["x_lo"][0], d.attrs["dx"][0], d.attrs["v_lo"][0], d.attrs["dv"][0]
        ext = [x0, x0 + dx * A.shape[0], v0, v0 + dv * A.shape[1]]
        im = a.imshow(A.T, origin="lower", extent=ext, aspect="auto", cmap="viridis",
                      norm=matplotlib.colors.PowerNorm(0.4))
        a.set_ylim(-1.6, 1.0)
        a.set_xlim(6, 14)
        a.set_title("f(T = %g, x, v), %s" % (f[keys[-1]].attrs["t"], g.replace("gamma", "gamma = ")),
                    fontsize=9)
        a.set_xlabel("x", fontsize=8)
        a.set_ylabel("v", fontsize=8)
        a.tick_params(labelsize=7)
        fig.colorbar(im, ax=a)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "cs_fig3_heatmaps.png"), dpi=72)


def coarse_kinetic(fd, xb, vb):
    """kinetic f cell averages on coarse (x, v) bins: density per unit x*v."""
    A = fd[:]
    x0, dx, v0, dv = fd.attrs["x_lo"][0], fd.attrs["dx"][0], fd.attrs["v_lo"][0], fd.attrs["dv"][0]
    xc = x0 + dx * (np.arange(A.shape[0]) + 0.5)
    vc = v0 + dv * (np.arange(A.shape[1]) + 0.5)
    X, V = np.meshgrid(xc, vc, indexing="ij")
    H, _, _ = np.histogram2d(X.ravel(), V.ravel(), [xb, vb], weights=(A * dx * dv).ravel())
    return H / np.outer(np.diff(xb), np.diff(vb))


def pvk(pdir, out):
    xb = np.linspace(0, 20, 101)          # the cs_moments bins (0.2)
    vb = np.linspace(-3, 3, 121)          # 0.05 in v for h(t, v)
    fk, kk = snaps(os.path.join(pdir, "kinetic"))
    k = kk[-1]
    T = fk[k].attrs["t"]
    rk, uk = fk[k]["rho_bins"][:], fk[k]["u_bins"][:, 0]
    hk = coarse_kinetic(fk[k]["f"], xb, vb).max(axis=0)
    eks = ts(os.path.join(pdir, "kinetic"))["energy"]
    ek, dk = eks[-1], eks[0] - eks[-1]
    rows = []
    fig, ax = plt.subplots(1, 3, figsize=(11, 3.2))
    xc = 0.5 * (xb[1:] + xb[:-1])
    vcen = 0.5 * (vb[1:] + vb[:-1])
    ax[0].plot(xc, rk, "k", lw=2, label="kinetic")
    ax[1].plot(xc[rk > 1e-3], uk[rk > 1e-3], "k", lw=2, label="kinetic")
    ax[2].plot(vcen, hk, "k", lw=2, label="kinetic")
    for v in sorted((d for d in os.listdir(pdir) if d.startswith("N")), key=lambda s: int(s[1:])):
        fp, kp = snaps(os.path.join(pdir, v))
        g = fp[kp[-1]]
        rp, up = g["rho_bins"][:], g["u_bins"][:, 0]
        x, vel, w = g["positions"][0], g["velocities"][0], g["weights"][:]
        H, _, _ = np.histogram2d(x, vel, [xb, vb], weights=w)
        hp = (H / np.outer(np.diff(xb), np.diff(vb))).max(axis=0)
        eps = ts(os.path.join(pdir, v))["energy"]
        ep, dp = eps[-1], eps[0] - eps[-1]
        m = rk > 1e-3
        rows.append((v, np.sum(np.abs(rp - rk)) * 0.2,
                     np.sum(np.abs(up - uk)[m] * rk[m]) * 0.2 / np.sum(rk[m] * 0.2),
                     ep, abs(ep - ek), eps[0], dp - dk, np.sum(np.abs(hp - hk)) * 0.05))
        ax[0].plot(xc, rp, lw=1, label=v)
        ax[1].plot(xc[m], up[m], lw=1, label=v)
        ax[2].plot(vcen, hp, lw=1, label=v)
    for a, ttl in zip(ax, ["rho(T, x)", "u(T, x) (where rho > 1e-3)", "h(T, v) on 0.2 x 0.05 bins"]):
        a.set_title("%s, T = %g" % (ttl, T), fontsize=9)
        a.tick_params(labelsize=7)
    ax[0].set_xlim(8, 14), ax[1].set_xlim(8, 14), ax[2].set_xlim(-1.6, 1.0)
    ax[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "cs_pvk.png"), dpi=80)
    print("| run | L1(rho_N - rho) | rho-weighted L1(u_N - u) | energy(T) | |energy_N - energy| "
          "| energy(0) | drop_N - drop | L1(h_N - h) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %.4f | %.4f | %.5f | %.2e | %.5f | %+.1e | %.4f |" % r)
    print("| kinetic | – | – | %.5f | – | %.5f | (drop %.5f) | – |" % (ek, eks[0], dk))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    t1, fine, pdir, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    table1(t1, fine)
    fig1(fine, out)
    fig2(t1, out)
    fig2(t1, out, ("gamma1_exact_map", "gamma1_balanced", "gamma5_exact_map", "gamma5_balanced"),
         "cs_fig2b_h_first_order.png")
    fig3(t1, out)
    pvk(pdir, out)
