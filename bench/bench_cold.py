"""Benchmark: how long a new user waits, from ``import sigconv`` to the first results.

Run from the repository root: ``python bench/bench_cold.py [--runs N] [--before DIR]``.

Every measurement runs in a fresh Python process (``python -c``), with the sigconv found
first on ``PYTHONPATH`` (this checkout, or ``--before DIR``: another copy of the source,
e.g. ``git archive main | tar -x -C DIR``, measured in the same run for a fair ratio):

* **cold**: ``NUMBA_CACHE_DIR`` set to an empty folder, so every kernel compiles as on a
  fresh install. Python's bytecode caches are written first (``compileall``, as pip does
  at install; ``PYTHONDONTWRITEBYTECODE`` is dropped), so both copies must be writable;
* **warm**: the same folder again after a cold run filled it.

Measures (each the median of ``--runs`` processes):

``import sigconv`` / ``import sigconv.nn``
    In-process seconds of the import statement (``time.perf_counter`` around it), with a
    warm kernel cache.
first ``convolve``
    ``sc.convolve`` of 1e5 float64 samples with 101 taps (``method="auto"``), the first
    call after ``import sigconv`` (the import itself not counted); "import + first
    convolve" counts both (NumPy imported before either), since names imported on first
    use move import time into the first call.
first ``fit``
    ``model.fit`` of one epoch (batch 100, ``verbose=0``) of the lecture's digits net
    (:func:`sigconv.nn.lecture_digits_cnn`, as ``sigconv demo`` builds it) on the 1437
    training digits, after ``import sigconv.nn`` and loading the data (neither counted).
``sigconv demo``
    Wall seconds of the whole command (``python -m sigconv.cli demo``, 30 epochs, both
    figures written), interpreter start included.

The targets are those of issue 17. This machine may be shared: medians of several runs,
and compare the before and after columns of one run only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

IMPORT = """
import time
start = time.perf_counter()
import {module}
print({{"seconds": time.perf_counter() - start}})
"""

CONVOLVE = """
import time
import numpy as np
start_import = time.perf_counter()
import sigconv as sc
imported = time.perf_counter()
rng = np.random.default_rng(0)
x, h = rng.standard_normal(100_000), rng.standard_normal(101)
start = time.perf_counter()
sc.convolve(x, h)
first = time.perf_counter() - start
start = time.perf_counter()
sc.convolve(x, h)
print({"seconds": first, "second call": time.perf_counter() - start,
       "with import": first + imported - start_import})
"""

FIT = """
import time
import sigconv.nn as nn
from sigconv.cli import _digits_split
x_train, x_test, y_train, y_test = _digits_split(0)
nn.set_random_seed(0)
model = nn.lecture_digits_cnn(learning_rate=0.1, l2=1e-3)
start = time.perf_counter()
model.fit(x_train, y_train, epochs=1, batch_size=100, verbose=0, seed=0)
first = time.perf_counter() - start
start = time.perf_counter()
model.fit(x_train, y_train, epochs=1, batch_size=100, verbose=0, seed=0)
print({"seconds": first, "second call": time.perf_counter() - start})
"""

#: (label, target seconds, how to measure: ("python", code) or ("demo",), cache state)
MEASURES = [
    ("import sigconv (warm)", 0.25, ("python", IMPORT.format(module="sigconv")), "warm"),
    ("import sigconv.nn (warm)", 0.40, ("python", IMPORT.format(module="sigconv.nn")),
     "warm"),
    ("first convolve 1e5 x 101 (cold)", 1.0, ("python", CONVOLVE), "cold"),
    ("first convolve 1e5 x 101 (warm)", None, ("python", CONVOLVE), "warm"),
    ("import + first convolve (cold)", None, ("python", CONVOLVE, "with import"), "cold"),
    ("import + first convolve (warm)", None, ("python", CONVOLVE, "with import"), "warm"),
    ("first 1-epoch fit, digits (cold)", 1.5, ("python", FIT), "cold"),
    ("first 1-epoch fit, digits (warm)", None, ("python", FIT), "warm"),
    ("sigconv demo (cold)", 6.0, ("demo",), "cold"),
    ("sigconv demo (warm)", None, ("demo",), "warm"),
]


def run_once(source, how, cache_dir, workdir):
    """Seconds of one measurement in a fresh process (``source`` first on the path)."""
    env = dict(os.environ, PYTHONPATH=source, NUMBA_CACHE_DIR=cache_dir)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if how[0] == "python":
        command = [sys.executable, "-c", how[1]]
    else:
        command = [sys.executable, "-m", "sigconv.cli", "demo",
                   "--out", os.path.join(workdir, "demo.png")]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed:\n{done.stdout}\n{done.stderr}")
    if how[0] == "demo":
        return {"seconds": wall}
    figures = eval(done.stdout.strip().splitlines()[-1])  # noqa: S307 - our own dict
    return {"seconds": figures[how[2] if len(how) > 2 else "seconds"]}


def measure(source, how, state, runs, workdir):
    """Median seconds over ``runs`` processes; a cold run gets a new empty cache each time,
    a warm one a cache filled by one unmeasured run."""
    values = []
    warm_cache = None
    for _ in range(runs):
        if state == "cold":
            cache = tempfile.mkdtemp(prefix="numba-cold-", dir=workdir)
        else:
            if warm_cache is None:
                warm_cache = tempfile.mkdtemp(prefix="numba-warm-", dir=workdir)
                run_once(source, how, warm_cache, workdir)
            cache = warm_cache
        values.append(run_once(source, how, cache, workdir)["seconds"])
    return statistics.median(values), values


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="processes per measure")
    parser.add_argument("--before", help="a second copy of sigconv's source to compare")
    parser.add_argument("--only", help="measure only the labels containing this text")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    sources = {"after": ROOT}
    if args.before:
        sources = {"before": os.path.abspath(args.before), "after": ROOT}
    rows = []
    for source in sources.values():   # bytecode, as an installed package has it
        subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(source, "sigconv")],
                       check=True, env={k: v for k, v in os.environ.items()
                                        if k != "PYTHONDONTWRITEBYTECODE"})
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as workdir:
        for label, target, how, state in MEASURES:
            if args.only and args.only not in label:
                continue
            row = {"measure": label, "target": target}
            for name, source in sources.items():
                median, values = measure(source, how, state, args.runs, workdir)
                row[name] = median
                row[name + " runs"] = values
            rows.append(row)
            print(_format_row(row, sources), flush=True)
    load = os.getloadavg()
    print(f"\nmedian seconds of {args.runs} processes each; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(rows, file, indent=1)


def _format_row(row, sources):
    cells = [f"{row['measure']:<34}"]
    cells += [f"{name} {row[name]:6.2f}" for name in sources]
    if "before" in sources:
        cells.append(f"x{row['before'] / row['after']:5.1f}")
    cells.append("target " + (f"{row['target']:.2f}" if row["target"] else "   -"))
    return " | ".join(cells)


if __name__ == "__main__":
    main()
