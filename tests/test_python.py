"""tests/test_python.py - the kinlab Python package (python/kinlab) on the
output of every example in examples/ (run here with reduced sizes), checked
against what kinlab wrote: the last row of the time series is summary.json's
"final", its rows are "outputs", snapshot times are time-series times at the
snapshot_every schedule, snapshot shapes follow the configuration (n^d or N
particles, grid cells from nv/dv/dx), variant names and their order are
kinlab's; and the errors for a directory that is not a run, an incomplete run
and malformed files.  Run by tests/python.sh (needs the kinlab binary:
$KL_TOP_BUILDDIR, plugins on $KINLAB_PLUGIN_PATH)."""
import csv
import glob
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

TOP = os.environ.get("KL_TOP_SRCDIR") or os.path.join(os.path.dirname(__file__), os.pardir)
TOP = os.path.abspath(TOP)
BUILD = os.path.abspath(os.environ.get("KL_TOP_BUILDDIR") or os.path.join(TOP, "build"))
sys.path.insert(0, os.path.join(TOP, "python"))

import numpy as np  # noqa: E402

import kinlab  # noqa: E402
from kinlab import config as kconfig  # noqa: E402

# Every example, made fast (each well under a second): fewer particles or
# cells, a shorter time, the variants' names kept.
REDUCED = {
    "bkw2d": ["--set", "sweep={model.n: [4, 6, 10]}", "--set", "time.t_final=0.2",
              "--set", "time.output_every=0.05"],
    "bkw3d": ["--set", "sweep={model.n: [4, 6]}", "--set", "time.t_final=5.6",
              "--set", "time.output_every=0.05"],
    "compare_integrators": ["--set", "model.n=4", "--set", "time.t_final=0.2",
                            "--set", "time.output_every=0.1"],
    "compare_mollifiers_n": ["--set", "sweep={model.n: [4, 6]}", "--set", "time.t_final=0.1",
                             "--set", "time.output_every=0.025"],
    "coulomb_relaxation_sweep": ["--set", "sweep={model.n: [4, 6]}", "--set",
                                 "time.t_final=0.1", "--set", "time.output_every=0.05"],
    "cs_homogeneous": ["--set", "time.t_final=0.04", "--set", "time.output_every=0.02"],
    "cs_homogeneous_strong": ["--set", "time.t_final=0.04", "--set", "time.output_every=0.02"],
    "cs_particles_vs_kinetic": ["--set", "variants.3.set={model.N: 2000}",
                                "--set", "time.t_final=0.01", "--set", "time.output_every=0.005"],
    "cs_particles_psi": ["--set", "time.t_final=0.01", "--set", "time.output_every=0.005"],
    "cs_table1": ["--set", "time.t_final=2e-4", "--set", "time.output_every=1e-4"],
    "gamma_regimes": ["--set", "model.n=4", "--set", "time.t_final=0.02",
                      "--set", "time.output_every=0.01"],
    "landau_methods_coulomb": ["--set", "variants.0.set={model.n: 5}",
                               "--set", "variants.1.set={model.n: 6}",
                               "--set", "variants.2.set={model: {type: landau_binary, d: 3, "
                               "N: 2000, kernel: {type: power_law, gamma: -3, C: 0.5, "
                               "regime: coulomb}}, integrator: {type: euler, dt: 0.01}}",
                               "--set", "time.t_final=0.1", "--set", "time.output_every=0.05"],
    "landau_binary_bkw": ["--set", "sweep={model.N: [200, 400], model.seed: [1, 2]}",
                          "--set", "time.t_final=0.05", "--set", "time.output_every=0.025"],
    "mollifiers": ["--set", "model.n=4", "--set", "time.t_final=0.02",
                   "--set", "time.output_every=0.01"],
    "rosenbluth": ["--set", "variants.0.set={model.n: 4}", "--set", "variants.1.set={model.n: 5}",
                   "--set", "variants.2.set={model.n: 6}", "--set", "time.t_final=0.02",
                   "--set", "time.output_every=0.01"],
}
# The variants in kinlab's order where the natural order differs from sorted().
ORDER = {
    "bkw2d": ["n=4", "n=6", "n=10"],
    "compare_integrators": ["bs32_rtol1e-6", "dopri54_rtol1e-6", "dopri54_rtol1e-9",
                            "euler_dt0.1", "euler_dt0.05", "gsl_rkf45_rtol1e-6", "rk4_dt0.1",
                            "rk4_dt0.2", "rk4_dt0.05", "ssprk3_dt0.1", "ssprk3_dt0.05"],
}

TMP = None
RUNS = {}  # example name -> (run directory, kinlab's stderr)


def kinlab_run(example, out, extra, check=True):
    cmd = [os.path.join(BUILD, "kinlab"), "run", example, "--out", out, "--quiet"] + extra
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, check=False)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s" % (" ".join(cmd), p.returncode, p.stderr))
    return p


def setUpModule():
    global TMP
    TMP = tempfile.mkdtemp(prefix="kinlab-test-python-")
    for path in sorted(glob.glob(os.path.join(TOP, "examples", "*.yaml"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if name in REDUCED:
            out = os.path.join(TMP, name)
            RUNS[name] = (out, kinlab_run(path, out, REDUCED[name]).stderr)
        else:
            RUNS[name] = (None, None)


def tearDownModule():
    if os.environ.get("KL_TEST_KEEP"):
        print("kept", TMP)
    else:
        shutil.rmtree(TMP, ignore_errors=True)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def same_number(a, b):
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a)
                      and math.isnan(b))


def expected_particles(run):
    model = run.config["model"]
    if model["type"] == "landau_particles":
        return model["n"] ** model["d"]
    return model["N"]


def expected_grid_shape(run):
    m = run.config["model"]
    if m.get("dim_x", 0) == 0:
        nx = 1
    elif "nx" in m:
        nx = int(m["nx"])
    else:
        nx = int(round((m["x_hi"] - m["x_lo"]) / m["dx"]))
    d = m["d"]
    if "nv" in m:
        nv = [int(round(x)) for x in m["nv"]]
    else:
        nv = [int(round((m["v_hi"][k] - m["v_lo"][k]) / m["dv"][k])) for k in range(d)]
    return (nx,) + tuple(nv)


class Examples(unittest.TestCase):
    def test_every_example_is_run(self):
        missing = [n for n, (d, _) in RUNS.items() if d is None]
        self.assertEqual(missing, [], "examples without reduced settings: add them to REDUCED "
                         "in tests/test_python.py")
        self.assertGreaterEqual(len(RUNS), 10)

    @staticmethod
    def all_runs():
        """(example, run) for every variant of every example."""
        return [(name, run) for name, (out, _) in sorted(RUNS.items()) if out is not None
                for run in kinlab.load(out)]

    def test_variants(self):
        for name, (out, _) in sorted(RUNS.items()):
            if out is None:
                continue
            with self.subTest(example=name):
                exp = kinlab.load(out)
                self.assertIsInstance(exp, kinlab.Experiment)
                dirs = [d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d))]
                self.assertEqual(sorted(exp.names), sorted(dirs))
                with open(os.path.join(out, "comparison.csv"), encoding="utf-8", newline="") as f:
                    listed = [row[0] for row in csv.reader(f)][1:]
                self.assertEqual(sorted(exp.names), sorted(listed))
                for run in exp:
                    self.assertEqual(run.summary["variant"], run.name)
                    self.assertIs(exp[run.name], run)
                if name in ORDER:
                    self.assertEqual(exp.names, ORDER[name])
                    self.assertNotEqual(sorted(exp.names), ORDER[name])

    def test_natural_order_is_kinlabs(self):
        # framework/compare/read.c natural_cmp: digit runs as numbers, leading zeros ignored
        # (then the plain order), other bytes as bytes ('-' < '1'), ASCII digits only
        names = ["n=10", "a1", "n=010", "x\u00b2", "n=9", "a-1", "x1", "n=0"]
        key = __import__("functools").cmp_to_key(
            lambda a, b: kinlab.natural_cmp(a, b) or (a > b) - (a < b))
        self.assertEqual(sorted(names, key=key),
                         ["a-1", "a1", "n=0", "n=9", "n=010", "n=10", "x1", "x\u00b2"])
        self.assertEqual(kinlab.natural_cmp("n=010", "n=10"), 0)

    def test_timeseries_against_summary(self):
        for name, run in self.all_runs():
            with self.subTest(example=name, variant=run.name):
                ts, summary = run.timeseries, run.summary
                self.assertEqual(run.status, "completed")
                self.assertEqual(len(ts), summary["outputs"])
                self.assertEqual(list(ts.dtype.names), list(summary["final"].keys()))
                for column, value in summary["final"].items():
                    self.assertTrue(same_number(float(ts[column][-1]), float(value)),
                                    "%s: %r != %r" % (column, ts[column][-1], value))
                self.assertEqual(ts["t"][-1], summary["t"])
                self.assertEqual(ts["t"][0], summary["t_start"])
                for column in summary["invariants"]:
                    self.assertIn(column, run.columns)
                self.assertEqual(run.final, {k: float(v) for k, v in summary["final"].items()})

    def test_snapshots_against_config(self):
        seen_particles = seen_grid = 0
        for name, run in self.all_runs():
            with self.subTest(example=name, variant=run.name):
                out = run.config["output"]
                snaps = run.snapshots
                if not out["snapshots"]:
                    self.assertEqual(len(snaps), 0)
                    self.assertFalse(os.path.exists(os.path.join(run.path, "snapshots.h5")))
                    continue
                outputs = run.summary["outputs"]
                every = out["snapshot_every"]
                expected = sorted(set(range(0, outputs, every)) | {outputs - 1})
                self.assertEqual([s.index for s in snaps], expected)
                np.testing.assert_array_equal(snaps.times, run.timeseries["t"][expected])
                last = snaps[-1]
                model = run.config["model"]
                if "velocities" in last.keys():
                    seen_particles += 1
                    n = expected_particles(run)
                    self.assertEqual(last["velocities"].shape, (model["d"], n))
                    self.assertEqual(last["weights"].shape, (n,))
                    dim_x = model.get("dim_x", 0)
                    if dim_x:
                        self.assertEqual(last["positions"].shape, (dim_x, n))
                    self.assertEqual(run.summary["state_size"], (model["d"] + dim_x) * n)
                else:
                    seen_grid += 1
                    f = last["f"]
                    self.assertEqual(f.shape, expected_grid_shape(run))
                    self.assertEqual(run.summary["state_size"], f.size)
                    attrs = last.attrs("f")
                    self.assertEqual(float(attrs["dv"][0]),
                                     (model["v_hi"][0] - model["v_lo"][0]) / f.shape[1]
                                     if "nv" in model else model["dv"][0])
        self.assertGreater(seen_particles, 0)
        self.assertGreater(seen_grid, 0)

    def test_config_typed_and_both_readers_agree(self):
        have_pyyaml = kconfig._pyyaml_loader() is not None
        for name, run in self.all_runs():
            with self.subTest(example=name, variant=run.name):
                path = os.path.join(run.path, "config.resolved.yaml")
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                fallback = kconfig.parse_yaml(text, path, use_pyyaml=False)
                self.assertEqual(fallback, run.config)
                if have_pyyaml:
                    self.assertEqual(kconfig.parse_yaml(text, path), fallback)
                self.assertIsInstance(run.param("integrator.dt"), float)
                self.assertIsInstance(run.param("model.d"), int)
                self.assertIs(run.param("output.snapshots") in (True, False), True)
                self.assertEqual(run.param("diagnostics.0.type"), run.config["diagnostics"][0]["type"])
        # YAML 1.2 core, as kinlab reads it (not PyYAML's YAML 1.1 default)
        bkw = kinlab.load(RUNS["bkw2d"][0])["n=4"]
        self.assertEqual(bkw.param("diagnostics.0.moment_box"), 10.0)  # written 1e+01
        self.assertEqual(kconfig.core_scalar("010"), 10)
        self.assertEqual(kconfig.core_scalar("yes"), "yes")
        self.assertEqual(kconfig.core_scalar("0x1f"), 31)
        self.assertEqual(kconfig.parse_yaml('a: "1e+01"\nb: !!float 5\n', "x", use_pyyaml=False),
                         {"a": "1e+01", "b": 5.0})

    def test_blob_variance_is_the_mollifiers_width(self):
        """Snapshots carry the mollifier's declared width (variance per
        component), so the plots draw the blob that ran: the exponential
        blob's variance in 2-D is 7/2 eps^2 (docs/landau.md), not eps^2."""
        exp = kinlab.load(RUNS["mollifiers"][0])
        for name, want in (("exponential", 3.5 * 0.086 ** 2), ("exponential_wide", 3.5 * 0.15 ** 2)):
            with self.subTest(variant=name):
                snap = exp[name].snapshots[-1]
                got = float(np.ravel(snap.attrs("velocities")["blob_variance"])[0])
                self.assertAlmostEqual(got, want, delta=1e-9 * want)
        gv = exp["gaussian_variance"]
        got = float(np.ravel(gv.snapshots[-1].attrs("velocities")["blob_variance"])[0])
        h = 2 * gv.param("model.box") / gv.param("model.n")
        eps = gv.param("model.epsilon_coeff") * h ** gv.param("model.epsilon_power")
        self.assertAlmostEqual(got, eps, delta=1e-12 * eps)

    def test_plot_front_end_on_real_output(self):
        if importlib.util.find_spec("matplotlib") is None:
            self.skipTest("no matplotlib")
        out = os.path.join(TMP, "plots")
        p = subprocess.run([sys.executable, os.path.join(TOP, "tools", "kinlab-plot"),
                            os.path.join(RUNS["cs_homogeneous"][0], "nv120"), "--format", "png",
                            "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        for f in ("invariants", "errors", "grid_nv120"):
            self.assertTrue(os.path.isfile(os.path.join(out, f + ".png")), f + "\n" + p.stdout)

    def test_plot_work_precision(self):
        """kinlab run wrote work_precision.csv (errors against the finest run,
        no exact solution); kinlab-plot draws work_precision.png from it."""
        if importlib.util.find_spec("matplotlib") is None:
            self.skipTest("no matplotlib")
        run = RUNS["coulomb_relaxation_sweep"][0]
        with open(os.path.join(run, "work_precision.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([r["variant"] for r in rows],
                         ["exponential,n=4", "exponential,n=6", "gaussian,n=4", "gaussian,n=6"])
        self.assertEqual(sorted(set(r["family"] for r in rows)),
                         ["model.mollifier.type=exponential", "model.mollifier.type=gaussian"])
        self.assertGreater(float(rows[0]["ref_l1_error"]), 0)
        self.assertEqual(rows[1]["ref_l1_error"], "")  # the finest run is the reference
        out = os.path.join(TMP, "plots_wp")
        p = subprocess.run([sys.executable, os.path.join(TOP, "tools", "kinlab-plot"), run,
                            "--format", "png", "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.isfile(os.path.join(out, "work_precision.png")), p.stdout)
        # no *_error column in the time series: the convergence plot has the
        # reference errors of comparison.csv
        self.assertTrue(os.path.isfile(os.path.join(out, "convergence_model.n.png")), p.stdout)

    def test_ensemble_error_relative_to_zero(self):
        """bench/ensemble_error.py --relative-to a column that is 0 (the binary
        method's mass_drift) is an error naming it, not a traceback."""
        run = RUNS["landau_binary_bkw"][0]
        p = subprocess.run([sys.executable, os.path.join(TOP, "bench", "ensemble_error.py"), run,
                            "m4_error", "--relative-to", "mass_drift"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("--relative-to mass_drift is 0", p.stderr)
        self.assertNotIn("Traceback", p.stderr)

    def test_series_styles_distinct(self):
        """More than 10 series stay distinguishable: colour and marker
        together differ for 110 series, the line style beyond."""
        if importlib.util.find_spec("matplotlib") is None:
            self.skipTest("no matplotlib")
        from kinlab import plot as kplot
        styles = [kplot.series_style(k) for k in range(300)]
        keys = [(s["color"], s["marker"], s["linestyle"]) for s in styles]
        self.assertEqual(len(set(keys)), len(keys))
        self.assertEqual(len(set((s["color"], s["marker"]) for s in styles[:110])), 110)

    def test_plot_drifts_leave_out_exact_columns(self):
        """*_exact columns (bkw_error's m4_exact) are not plotted as drifts."""
        if importlib.util.find_spec("matplotlib") is None:
            self.skipTest("no matplotlib")
        from kinlab import plot as kplot
        variants = kplot.load_variants(RUNS["bkw2d"][0])
        columns = set(c for v in variants for c in v.columns)
        self.assertIn("m4_exact", columns)
        drifts = kplot.drift_columns(variants)
        self.assertIn("mass", drifts)
        self.assertFalse([c for c in drifts if c.endswith("_exact") or c.endswith("_error")],
                         drifts)


class Docs(unittest.TestCase):
    def test_python_md_session(self):
        """docs/python.md's session, on the command it shows, gives what it shows."""
        if importlib.util.find_spec("matplotlib") is None:
            self.skipTest("no matplotlib")
        import doctest
        where = os.path.join(TMP, "doc")
        os.makedirs(where)
        cwd = os.getcwd()
        os.chdir(where)
        try:
            kinlab_run(os.path.join(TOP, "examples", "compare_mollifiers_n.yaml"),
                       "runs/compare_mollifiers_n", [])
            result = doctest.testfile(os.path.join(TOP, "docs", "python.md"),
                                      module_relative=False, report=True)
        finally:
            os.chdir(cwd)
        self.assertGreater(result.attempted, 20)
        self.assertEqual(result.failed, 0, "docs/python.md: see the doctest report above")


class SingleAndIncomplete(unittest.TestCase):
    def test_single_run(self):
        out = os.path.join(TMP, "single")
        kinlab_run(os.path.join(TOP, "examples", "bkw2d.yaml"), out,
                   REDUCED["bkw2d"][:1] + ["sweep={model.n: [6]}"] + REDUCED["bkw2d"][2:])
        run = kinlab.load(out)
        self.assertIsInstance(run, kinlab.Run)
        self.assertEqual(list(run), [run])
        self.assertEqual(run.name, "single")
        self.assertEqual(run.snapshots[-1]["velocities"].shape, (2, 36))

    def test_incomplete_run(self):
        out = os.path.join(TMP, "stopped")
        p = kinlab_run(os.path.join(TOP, "examples", "bkw2d.yaml"), out,
                       ["--set", "sweep={model.n: [4]}", "--set", "time.max_steps=15",
                        "--set", "time.output_every=0.1"],
                       check=False)
        self.assertNotEqual(p.returncode, 0)
        with self.assertRaisesRegex(kinlab.IncompleteRunError, "did not complete: status"):
            kinlab.load(out)
        run = kinlab.load(out, allow_incomplete=True)
        self.assertFalse(run.completed)
        self.assertEqual(run.status, read_json(os.path.join(out, "summary.json"))["status"])
        self.assertEqual(list(run.timeseries["step"]), [0, 10])  # stopped after step 15
        os.remove(os.path.join(out, "summary.json"))
        with self.assertRaisesRegex(kinlab.IncompleteRunError, "no summary.json"):
            kinlab.load(out)


class Errors(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(TMP, "bad-%s" % self._testMethodName)
        shutil.copytree(os.path.join(RUNS["bkw2d"][0], "n=4"), self.dir)

    def write(self, name, text, mode="w"):
        with open(os.path.join(self.dir, name), mode) as f:
            f.write(text)

    def edit(self, name, old, new):
        with open(os.path.join(self.dir, name), encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        self.write(name, text.replace(old, new, 1))

    def refused(self, regex, what=lambda run: (run.timeseries, run.config, run.snapshots)):
        with self.assertRaisesRegex(kinlab.MalformedRunError, regex):
            what(kinlab.load(self.dir))

    def test_control_loads(self):
        run = kinlab.load(self.dir)
        self.assertEqual(len(run.timeseries), run.summary["outputs"])

    def test_not_a_run(self):
        empty = os.path.join(TMP, "empty")
        os.makedirs(empty, exist_ok=True)
        with self.assertRaisesRegex(kinlab.NotARunError, "not a kinlab run directory"):
            kinlab.load(empty)
        with self.assertRaisesRegex(kinlab.NotARunError, "no such directory"):
            kinlab.load(os.path.join(TMP, "nowhere"))
        with self.assertRaisesRegex(kinlab.NotARunError, "not a directory"):
            kinlab.load(os.path.join(self.dir, "summary.json"))

    def test_config_edited_after_the_run(self):
        self.edit("config.resolved.yaml", "n: 4", "n: 5")
        self.refused("changed after the run", lambda run: run.config)
        self.without_config_hash()  # then the file is read as it is
        self.assertEqual(kinlab.load(self.dir).param("model.n"), 5)

    def test_summary_not_json(self):
        self.write("summary.json", '{"status": "completed",}')
        with self.assertRaisesRegex(kinlab.MalformedRunError, r"summary.json:1:\d+: not valid JSON"):
            kinlab.load(self.dir)

    def test_summary_duplicate_and_nan(self):
        self.edit("summary.json", '"message": ""', '"message": "", "message": "x"')
        with self.assertRaisesRegex(kinlab.MalformedRunError, "duplicate member"):
            kinlab.load(self.dir)
        self.edit("summary.json", '"message": "x"', '"wall": NaN')
        with self.assertRaisesRegex(kinlab.MalformedRunError, "NaN is not JSON"):
            kinlab.load(self.dir)
        self.edit("summary.json", '"wall": NaN', '"wall": 1e999')
        with self.assertRaisesRegex(kinlab.MalformedRunError, "number 1e999 beyond a double"):
            kinlab.load(self.dir)

    def test_summary_without_status(self):
        self.edit("summary.json", '"status"', '"state"')
        with self.assertRaisesRegex(kinlab.MalformedRunError, 'member "status"'):
            kinlab.load(self.dir)

    def test_timeseries_bad_field(self):
        self.edit("timeseries.csv", "\n0,0,", "\nzero,0,")
        self.refused(r"timeseries.csv:2: column t: expected a number, found 'zero'")

    def lines(self):
        with open(os.path.join(self.dir, "timeseries.csv"), encoding="utf-8") as f:
            return f.read().split("\n")

    def test_timeseries_short_row(self):
        lines = self.lines()
        lines[3] = lines[3].rsplit(",", 1)[0]
        self.write("timeseries.csv", "\n".join(lines))
        self.refused(r"timeseries.csv:4: 18 fields, expected 19")

    def test_timeseries_cut_last_line(self):
        with open(os.path.join(self.dir, "timeseries.csv"), encoding="utf-8") as f:
            text = f.read()
        self.write("timeseries.csv", text[:-1])
        self.refused(r"timeseries.csv:6: the last line has no newline")

    def test_timeseries_rows_against_summary(self):
        self.edit("summary.json", '"outputs": 5', '"outputs": 4')
        self.refused(r"timeseries.csv: 5 rows, but summary.json says outputs = 4")

    def test_timeseries_header(self):
        self.edit("timeseries.csv", "t,step,dt,", "t,dt,step,")
        self.refused(r"timeseries.csv:1: expected the header to start with t,step,dt")

    def test_timeseries_time_order(self):
        lines = self.lines()
        lines[2] = "0.5" + lines[2][lines[2].index(","):]
        self.write("timeseries.csv", "\n".join(lines))
        self.refused(r"timeseries.csv:4: t = 0.1[0-9]* after t = 0.5")

    def without_config_hash(self):
        """A summary.json of kinlab before 2026-12: the parser's own checks."""
        self.edit("summary.json", '"config_file_sha256"', '"config_file_sha256_"')

    def test_config_not_yaml(self):
        self.without_config_hash()
        self.write("config.resolved.yaml", "model: [1, 2\n")
        self.refused(r"config.resolved.yaml.*(not valid YAML|unsupported)",
                     lambda run: run.config)

    def test_config_not_a_mapping(self):
        self.without_config_hash()
        self.write("config.resolved.yaml", "- 1\n")
        self.refused(r"config.resolved.yaml: expected a mapping", lambda run: run.config)

    def test_snapshots_not_hdf5(self):
        self.write("snapshots.h5", "not HDF5\n")
        self.refused(r"snapshots.h5: cannot open as HDF5", lambda run: run.snapshots)

    def test_variant_copied_under_another_name(self):
        exp = os.path.join(TMP, "copied-variant")
        shutil.copytree(RUNS["bkw2d"][0], exp)
        shutil.copytree(os.path.join(exp, "n=4"), os.path.join(exp, "n=8"))
        with self.assertRaisesRegex(kinlab.MalformedRunError,
                                    "n=8/summary.json is of variant 'n=4', found in the "
                                    "directory of variant 'n=8'"):
            kinlab.load(exp)

    def test_snapshots_of_another_run(self):
        """snapshots.h5 copied from another variant (same output times, other
        n) was read as this run's; its config_sha256 names the other run."""
        exp = os.path.join(TMP, "copied-snapshots")
        shutil.copytree(RUNS["bkw2d"][0], exp)
        shutil.copy(os.path.join(exp, "n=6", "snapshots.h5"), os.path.join(exp, "n=4"))
        self.assertEqual(len(kinlab.load(exp)["n=6"].snapshots),
                         len(kinlab.load(RUNS["bkw2d"][0])["n=6"].snapshots))
        with self.assertRaisesRegex(kinlab.MalformedRunError,
                                    "n=4/snapshots.h5 belongs to another run"):
            kinlab.load(exp)["n=4"].snapshots

    def test_variant_name_not_utf8(self):
        # os.listdir gives such a name with surrogates; kinlab's order is by bytes
        self.assertEqual(kinlab.natural_cmp("n=\udcff", "n=4"), 1)
        self.assertEqual(kinlab.natural_cmp("n=4", "n=\udcff"), -1)

    def test_param_list_index(self):
        run = kinlab.load(self.dir)
        self.assertEqual(run.param("diagnostics.0.type"), "bkw_error")
        for key in ("diagnostics.\u00b2", "diagnostics.\u0660", "diagnostics.-1"):
            with self.assertRaisesRegex(KeyError, "no key diagnostics"):
                run.param(key)

    def test_missing_variant(self):
        with self.assertRaisesRegex(KeyError, "no variant 'n=5'; the variants are n=4, n=6, n=10"):
            kinlab.load(RUNS["bkw2d"][0])["n=5"]


if __name__ == "__main__":
    unittest.main()
