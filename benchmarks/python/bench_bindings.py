#!/usr/bin/env python3
"""Benchmarks of the Python package (bindings/python), as ratios measured in one run:

- python-call-1e6: femtofit.fit on 10^6 GAUSS_2D 9x9 ROIs against the library's femtofit_fit
  called directly on the same data, in interleaved pairs; the figure is the median over pairs of
  native seconds / Python seconds (1 means no overhead).
- dask-2-workers: femtofit.dask on a local cluster of two single-threaded worker processes reading
  raw ROI files, against one process reading and fitting the same files on two threads; the
  figure is (Dask fits/s / 2 cores) / (one process's fits/s / 2 cores). Both use the same two
  cores: on machines whose vCPUs are hyperthreads of one physical core (this one's), a single
  thread's rate is no measure of what one core gives when its sibling is busy too.

Usage: bench_bindings.py [--quick] [--check] [--targets FILE]. Run by scripts/benchmark.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def rois(rng, count, size, distinct=2000):
    """`count` Poisson GAUSS_2D ROIs (the distributions of docs/reference.md §5), `distinct` of them tiled."""
    y, x = np.mgrid[0:size, 0:size]
    c = (size - 1) / 2
    a, x0, y0 = rng.uniform(500, 1000, distinct), c + rng.uniform(-1, 1, distinct), c + rng.uniform(-1, 1, distinct)
    s, b = rng.uniform(1.5, 3, distinct), rng.uniform(10, 100, distinct)
    model = (a[:, None, None] * np.exp(-((x - x0[:, None, None]) ** 2 + (y - y0[:, None, None]) ** 2)
                                       / (2 * s[:, None, None] ** 2)) + b[:, None, None])
    base = rng.poisson(model).astype(np.float32)
    return np.ascontiguousarray(np.resize(base, (count, size, size)))


def python_call(repeats):
    """femtofit.fit against femtofit_fit called directly (ctypes, one prepared struct, the same
    output arrays every time: no Python-side work at all) on the same 10^6 ROIs, same context."""
    import ctypes
    import femtofit
    from femtofit import _fit, _native
    fits, size = 10**6, 9
    data = rois(np.random.default_rng(1), fits, size)
    lib = _native.load()
    context = _fit.context("cpu", "single", None, 0)
    outputs = [np.empty((fits, 5)), np.empty((fits, 5)), np.empty(fits, np.int32), np.empty(fits), np.empty(fits, np.int32)]
    batch = _native.Batch(lib.femtofit_model_id(b"gauss2d"), fits, size * size, size, size, 0, data.ctypes.data,
                          None, None, 0, None, None, None, None)
    settings = _native.Settings()
    lib.femtofit_settings_init(ctypes.byref(settings))
    results = _native.Results(*[o.ctypes.data for o in outputs])

    def native():
        start = time.perf_counter()
        status = lib.femtofit_fit(context.handle, ctypes.byref(batch), ctypes.byref(settings), ctypes.byref(results))
        assert status == 0, lib.femtofit_last_error()
        return time.perf_counter() - start

    def python():
        start = time.perf_counter()
        result = femtofit.fit(data, "gauss2d", backend="cpu")
        elapsed = time.perf_counter() - start
        np.testing.assert_array_equal(result.parameters, outputs[0])
        return elapsed

    native(), python()  # warm: threads, page faults of the outputs
    ratios, python_times, native_times = [], [], []
    for repeat in range(repeats):
        # Each pair runs back to back, in alternating order, so both meet the same machine; the
        # ratio within a pair cancels the load that other tenants put on shared machines.
        if repeat % 2 == 0:
            p, n = python(), native()
        else:
            n, p = native(), python()
        python_times.append(p)
        native_times.append(n)
        ratios.append(n / p)
    return {"fits": fits, "python_s": statistics.median(python_times), "native_s": statistics.median(native_times),
            "fits_per_s": fits / statistics.median(python_times), "native_over_python": statistics.median(ratios)}


def dask_workers(folder, quick):
    import femtofit
    import femtofit.dask as ffd
    from dask.distributed import Client, LocalCluster
    files, per_file, size = (4, 60000, 15) if quick else (8, 100000, 15)
    rng = np.random.default_rng(2)
    paths = []
    for k in range(files):
        path = os.path.join(folder, "block-%d.raw" % k)
        rois(rng, per_file, size).tofile(path)
        paths.append(path)
    total = files * per_file

    def one_process():
        start = time.perf_counter()
        for path in paths:
            block = np.fromfile(path, dtype=np.float32).reshape(-1, size, size)
            femtofit.fit(block, "gauss2d", backend="cpu", threads=2)
        return time.perf_counter() - start

    one_process()  # warm the page cache and the library
    single = min(one_process() for _ in range(3))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster):
        ffd.fit(ffd.raw_rois(paths[:2], (size, size)), "gauss2d", backend="cpu")  # warm the workers
        times = []
        for _ in range(3):
            start = time.perf_counter()
            result = ffd.fit(ffd.raw_rois(paths, (size, size)), "gauss2d", backend="cpu")
            times.append(time.perf_counter() - start)
        assert len(result) == total
    clustered = min(times)
    return {"fits": total, "single_s": single, "dask_s": clustered, "fits_per_s": total / clustered,
            "per_core_efficiency": (total / clustered / 2) / (total / single / 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller Dask files (CI)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a figure is below its target")
    parser.add_argument("--targets", default=os.path.join(HERE, "targets.tsv"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="femtofit-bench-") as folder:
        measured = {"python-call-1e6": python_call(11 if args.quick else 21)}
        print("python-call-1e6   Python %.3f s, native %.3f s (medians), %.0f fits/s, native/Python %.3f (median of pairs)"
              % (measured["python-call-1e6"]["python_s"], measured["python-call-1e6"]["native_s"],
                 measured["python-call-1e6"]["fits_per_s"], measured["python-call-1e6"]["native_over_python"]))
        sys.stdout.flush()
        measured["dask-2-workers"] = dask_workers(folder, args.quick)
        d = measured["dask-2-workers"]
        print("dask-2-workers    %d fits: one process %.3f s (2 threads), Dask %.3f s (2 workers), %.0f fits/s, "
              "per-core efficiency %.3f" % (d["fits"], d["single_s"], d["dask_s"], d["fits_per_s"], d["per_core_efficiency"]))
    if args.check:
        failures = []
        for line in open(args.targets):
            if line.startswith("#") or not line.strip():
                continue
            workload, figure, minimum = line.rstrip("\n").split("\t")
            value = measured[workload][figure]
            ok = value >= float(minimum)
            print("%s %s %s = %.3f (target >= %s)" % ("ok  " if ok else "FAIL", workload, figure, value, minimum))
            if not ok:
                failures.append(workload)
        if failures:
            print("below target: " + ", ".join(failures))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
