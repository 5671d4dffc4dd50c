#!/usr/bin/env python3
"""Ensemble statistics of a stochastic method over seeds, from kinlab compare.

    python3 bench/ensemble_error.py RUN_DIR COLUMN [--seed-key KEY] [--relative-to COLUMN]
    python3 bench/ensemble_error.py RUN_DIR --difference A B [--relative-to B] ...

RUN_DIR is the run directory of an experiment whose sweep varies a seed key
(default model.seed) and, optionally, other keys (e.g. model.N).  Reads
RUN_DIR/comparison.csv (written by `kinlab run` / `kinlab compare`), groups the
completed variants by the values of every varying key except the seed, and
prints per group: the number of seeds, the mean, the root mean square and the
standard deviation of COLUMN (its final-time value; divided by --relative-to
when given), and the standard error of the mean.  With one other numeric key K
it also prints the least-squares slopes of log RMS and log standard deviation
against log K (-1/2 for an error that is statistical in a particle number N).

--difference A B takes, instead of a column of comparison.csv, the signed
difference A - B of two columns of each variant's timeseries.csv at its last
row (e.g. m4 - m4_exact): its mean over the seeds estimates the method's bias,
the standard error says whether that bias is resolved.
"""
import argparse
import csv
import math
import os
import sys


def read_rows(path, what):
    """The rows of a CSV file with a header; exits naming the file when it
    cannot be read or has no rows (`what` says what is missing)."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        sys.exit(f"ensemble_error: {path}: {e.strerror}")
    if not rows:
        sys.exit(f"ensemble_error: {path}: no {what}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("column", nargs="?")
    ap.add_argument("--difference", nargs=2, metavar=("A", "B"))
    ap.add_argument("--seed-key", default="model.seed")
    ap.add_argument("--relative-to", default=None, metavar="COLUMN")
    a = ap.parse_args()
    if (a.column is None) == (a.difference is None):
        ap.error("give either COLUMN or --difference A B")
    path = os.path.join(a.run_dir, "comparison.csv")
    rows = read_rows(path, "variants")
    header = list(rows[0].keys())
    wanted = [a.seed_key] + ([a.column] if a.column else [])
    wanted += [a.relative_to] if a.relative_to and not a.difference else []
    for col in wanted:
        if col not in header:
            sys.exit(f"ensemble_error: {path}: no column '{col}' (columns: {', '.join(header)})")
    # the varying keys are the columns between `status` and the counters: the
    # dotted configuration keys (they contain a dot)
    keys = [h for h in header if "." in h and h != a.seed_key]
    groups = {}
    for r in rows:
        if r["status"] != "completed":
            continue
        try:
            if a.difference:
                last = read_rows(os.path.join(a.run_dir, r["variant"], "timeseries.csv"), "rows")[-1]
                v = float(last[a.difference[0]]) - float(last[a.difference[1]])
                if a.relative_to:
                    v /= float(last[a.relative_to])
            else:
                v = float(r[a.column])
                if a.relative_to:
                    v /= float(r[a.relative_to])
        except (ValueError, KeyError) as e:
            sys.exit(f"ensemble_error: variant {r['variant']}: no number for {e}")
        except ZeroDivisionError:  # was a traceback
            sys.exit(f"ensemble_error: variant {r['variant']}: --relative-to {a.relative_to} "
                     "is 0: expected a nonzero column")
        groups.setdefault(tuple(r[k] for k in keys), []).append(v)
    what = a.column or f"({a.difference[0]} - {a.difference[1]})"
    what += f" / {a.relative_to}" if a.relative_to else ""
    print(f"| {' | '.join(keys) or 'group'} | seeds | mean {what} | RMS | std. deviation "
          "| std. error of mean |")
    print("|" + "---|" * (len(keys or [1]) + 5))
    points = []
    for g, vals in sorted(groups.items(), key=lambda kv: [float(x) if x.replace('.', '', 1).isdigit() else 0 for x in kv[0]]):
        n = len(vals)
        mean = sum(vals) / n
        rms = math.sqrt(sum(v * v for v in vals) / n)
        sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else float("nan")
        print(f"| {' | '.join(g) or '-'} | {n} | {mean:.4g} | {rms:.4g} | {sd:.4g} "
              f"| {sd / math.sqrt(n):.2g} |")
        if len(keys) == 1 and n > 1:
            try:
                points.append((math.log(float(g[0])), math.log(rms), math.log(sd)))
            except ValueError:
                pass
    if len(points) >= 2:
        mx = sum(p[0] for p in points) / len(points)
        sxx = sum((p[0] - mx) ** 2 for p in points)
        for what, c in (("RMS", 1), ("standard deviation", 2)):
            my = sum(p[c] for p in points) / len(points)
            slope = sum((p[0] - mx) * (p[c] - my) for p in points) / sxx
            print(f"slope of log {what} against log {keys[0]}: {slope:.3f}")


if __name__ == "__main__":
    main()
