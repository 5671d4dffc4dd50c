"""kinlab - read the run directories that `kinlab run` writes.

    >>> import kinlab
    >>> exp = kinlab.load("runs/bkw2d")          # an experiment: its variants
    >>> for run in exp:
    ...     print(run.name, run.final["l1_error"])
    >>> run = exp["n=40"]
    >>> run.timeseries["t"], run.config["model"]["n"], run.snapshots[-1]["velocities"]

See docs/python.md.  Needs Debian's python3-numpy, and python3-h5py for the
snapshots; tools/kinlab-plot (kinlab.plot) also python3-matplotlib.
"""
from .errors import IncompleteRunError, KinlabError, MalformedRunError, NotARunError
from .run import Experiment, Run, Snapshot, Snapshots, load, natural_cmp

__all__ = ["load", "Run", "Experiment", "Snapshot", "Snapshots", "natural_cmp", "KinlabError",
           "NotARunError", "IncompleteRunError", "MalformedRunError"]
__version__ = "0.1.0"
