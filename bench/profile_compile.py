"""Profile: which numba kernels compile on a first call, and for how long.

Run from the repository root with an empty kernel cache, e.g.
``NUMBA_CACHE_DIR=$(mktemp -d) python bench/profile_compile.py fit``.

``convolve``: the first ``sc.convolve`` of 1e5 float64 samples with 101 taps; ``fit``: the
first one-epoch ``fit`` of the lecture's digits net (as ``bench/bench_cold.py`` times them).
Every compilation is recorded through numba's event API (``numba:compile``), with its
nesting depth (0: a kernel sigconv called; deeper: what it called, included in its parent's
time), sorted by seconds.
"""

import argparse
import os
import sys
import time

from numba.core import event

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RECORDS = []


class _Recorder(event.Listener):
    def __init__(self):
        self.starts = []

    def on_start(self, ev):
        self.starts.append(time.perf_counter())

    def on_end(self, ev):
        seconds = time.perf_counter() - self.starts.pop()
        function = ev.data["dispatcher"].py_func
        RECORDS.append((seconds, len(self.starts),
                        f"{function.__module__}.{function.__qualname__}",
                        str(ev.data["args"])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["convolve", "fit"])
    parser.add_argument("--top", type=int, default=15, help="rows shown")
    args = parser.parse_args()
    event.register("numba:compile", _Recorder())
    start = time.perf_counter()
    if args.workload == "convolve":
        import numpy as np

        import sigconv as sc

        rng = np.random.default_rng(0)
        x, h = rng.standard_normal(100_000), rng.standard_normal(101)
        ready = time.perf_counter()
        sc.convolve(x, h)
    else:
        from sigconv import nn
        from sigconv.cli import _digits_split

        x_train, _, y_train, _ = _digits_split(0)
        nn.set_random_seed(0)
        model = nn.lecture_digits_cnn(learning_rate=0.1, l2=1e-3)
        ready = time.perf_counter()
        model.fit(x_train, y_train, epochs=1, batch_size=100, verbose=0, seed=0)
    call = time.perf_counter() - ready
    top = [r for r in RECORDS if r[1] == 0]
    print(f"imports and set-up {ready - start:.2f} s; first call {call:.2f} s, of which "
          f"{sum(r[0] for r in top):.2f} s in {len(top)} top-level compilations "
          f"({len(RECORDS)} in all); load average {os.getloadavg()[0]:.2f}")
    for seconds, depth, name, types in sorted(RECORDS, reverse=True)[:args.top]:
        print(f"{seconds:7.2f} s  depth {depth}  {name}  {types[:90]}")


if __name__ == "__main__":
    main()
