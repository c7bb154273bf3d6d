"""Fit the cost model behind ``method="auto"`` on this machine and print the constants.

A thin wrapper around :func:`sigconv._calibrate.calibrate` (the code behind
``sigconv calibrate``): it times ``direct``, ``fft`` and ``oa`` on a fixed set of 1-D and
2-D problems at 1 thread and at numba's full thread count, fits each method's time as a
non-negative combination of the work counts of ``sigconv.conv._cost_features``, prints the
constants in the form of ``sigconv/_config.py`` (the shipped defaults) and the table of
``auto``'s pick against the fastest method on the calibration problems.

Run: ``python bench/calibrate.py [--save] [--threads 1 2]`` (under a minute on 2 cores). Without
``--save`` nothing is stored; with it the constants go to the user's cache folder, as
``sigconv calibrate`` does.
"""

import argparse
import sys

from sigconv import _calibrate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true",
                        help="store the constants in the user's cache folder")
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="thread counts to time at (default: 1 and numba's count)")
    parser.add_argument("--budget", type=float, default=0.1,
                        help="seconds of repeats per method and problem")
    args = parser.parse_args(argv)

    def progress(done, total, description):
        print(f"[{done:3d}/{total}] {description}", file=sys.stderr, flush=True)

    result = _calibrate.calibrate(args.threads, progress, save=args.save,
                                  budget=args.budget)
    print(f"{'in1':>14} {'in2':>12} {'dtype':>10} {'thr':>3} {'direct':>9} {'fft':>9} "
          f"{'oa':>9} {'pick':>6} {'pick/best':>9}")
    for row in result["table"]:
        times = "".join(f" {row['times'][m] * 1e3:9.3f}" if m in row["times"] else
                        f" {'-':>9}" for m in ("direct", "fft", "oa"))
        print(f"{str(row['in1']):>14} {str(row['in2']):>12} {row['dtype']:>10} "
              f"{row['threads']:3d}{times} {row['pick']:>6} {row['ratio']:9.2f}")
    print("(times in ms)")
    print(f"worst pick/best with the fitted constants: {result['worst_ratio']:.2f}; "
          f"{result['seconds']:.0f} s")
    print()
    print("# shipped defaults, sigconv/_config.py")
    for method, name in _calibrate.COST_NAMES.items():
        values = ", ".join(f"{c:.3e}" for c in result["constants"][method])
        print(f"{name} = ({values})")
    if result["path"]:
        print(f"stored in {result['path']}")


if __name__ == "__main__":
    main()
