"""femtofit.dask: fits a dask array of ROIs (or curves) block by block on a Dask cluster.

    from dask.distributed import Client
    import femtofit.dask as ffd
    client = Client(...)                            # a LocalCluster, dask-jobqueue, dask-kubernetes
    rois = ffd.raw_rois(paths, roi_shape=(15, 15))  # read on the workers, never on the client
    rois = ffd.hdf5_rois("rois.h5", "/rois")        # or from an HDF5 dataset, also on the workers
    result = ffd.fit(rois, "gauss2d")               # a femtofit.FitResult, rows in the array's order

Each block (a chunk along the first axis, whole ROIs) is read or generated and fitted on the same
worker; only the small per-fit results travel back, and they are gathered in order. Nothing here
depends on the kind of cluster: the code that runs on a laptop runs on SLURM or Kubernetes.
"""
import os

import dask
import dask.array as da
import numpy as np

from ._fit import FitResult, _whole, fit as _fit_here, parameter_names

#: Options that hold one row per fit and are cut into the blocks' rows.
_PER_FIT = ("initial_parameters", "lower_bounds", "upper_bounds")


def _read_raw(path, roi_shape, dtype, expected):
    """One raw file's ROIs, read where this runs (on a worker)."""
    height, width = roi_shape
    values = np.fromfile(path, dtype=dtype)
    if values.size % (height * width) != 0:
        raise ValueError("%s: %d values are not a whole number of %dx%d ROIs (truncated or the wrong ROI shape?)"
                         % (path, values.size, width, height))
    rois = values.reshape(-1, height, width)
    if expected is not None and rois.shape[0] != expected:
        raise ValueError("%s holds %d ROIs, not the %d expected (the file changed after the array was made?)"
                         % (path, rois.shape[0], expected))
    return rois


def raw_rois(paths, roi_shape, dtype="float32", rois_per_file=None):
    """A lazy (n_fits, height, width) dask array over raw ROI files (native-endian, row-major,
    ROIs one after another, the format `femtofit fit --raw-shape` reads), one block per file.

    The files are read on the workers. Their sizes are looked up here to know the array's shape,
    unless `rois_per_file` is given (for files the client cannot see, on a cluster's own disks).
    """
    height, width = (_whole(v, "roi_shape", 1, 2**31 - 1) for v in roi_shape)
    itemsize = np.dtype(dtype).itemsize
    blocks = []
    for path in paths:
        path = os.fspath(path)
        if rois_per_file is None:
            size = os.path.getsize(path)
            if size % (itemsize * height * width) != 0:
                raise ValueError("%s: %d bytes are not a whole number of %dx%d %s ROIs"
                                 % (path, size, width, height, np.dtype(dtype).name))
            count = size // (itemsize * height * width)
        else:
            count = int(rois_per_file)
        reader = dask.delayed(_read_raw, pure=True)(path, (height, width), dtype, count)
        blocks.append(da.from_delayed(reader, shape=(count, height, width), dtype=dtype))
    if not blocks:
        raise ValueError("raw_rois needs at least one file")
    return da.concatenate(blocks, axis=0)


def _read_hdf5(path, dataset, rows, roi_shape):
    """Rows `rows` of an HDF5 dataset, read where this runs (on a worker), as ROIs."""
    import h5py
    with h5py.File(path, "r") as f:
        values = f[dataset][rows[0]:rows[1]]
    if roi_shape is not None:
        values = values.reshape(values.shape[0], *roi_shape)
    return values


def hdf5_rois(path, dataset, roi_shape=None, rois_per_block=None, shape=None, dtype=None):
    """A lazy dask array of ROIs over an HDF5 dataset (needs h5py on the workers): 3-D
    (n_fits, height, width), or 2-D (n_fits, n_points) with `roi_shape=(height, width)`, as
    `femtofit fit FILE.h5:/dataset` reads. Blocks of `rois_per_block` rows (default: about 32 MB)
    are read on the workers. The dataset's shape and type are looked up here unless `shape` and
    `dtype` are given (for a file the client cannot see).
    """
    path = os.fspath(path)
    if shape is None or dtype is None:
        import h5py
        with h5py.File(path, "r") as f:
            if dataset not in f or not isinstance(f[dataset], h5py.Dataset):
                raise ValueError("%s has no dataset %s" % (path, dataset))
            shape, dtype = f[dataset].shape, f[dataset].dtype
    dtype = np.dtype(dtype)
    if dtype.kind not in "fiu":
        raise TypeError("%s:%s holds %s; femtofit fits integer or floating-point numbers" % (path, dataset, dtype))
    if roi_shape is not None:
        height, width = (_whole(v, "roi_shape", 1, 2**31 - 1) for v in roi_shape)
        if len(shape) != 2 or shape[1] != height * width:
            raise ValueError("%s:%s has shape %s; roi_shape %s needs (n_fits, %d)" % (path, dataset, shape, roi_shape, height * width))
        roi_shape, out_shape = (height, width), (height, width)
    elif len(shape) == 3:
        out_shape = tuple(shape[1:])
    else:
        raise ValueError("%s:%s has shape %s; give a 3-D dataset of ROIs, or a 2-D one with roi_shape" % (path, dataset, shape))
    n_fits = shape[0]
    row_bytes = int(np.prod(out_shape)) * dtype.itemsize
    step = int(rois_per_block or max(1024, (32 << 20) // row_bytes))
    blocks = []
    for first in range(0, n_fits, step):
        rows = (first, min(n_fits, first + step))
        reader = dask.delayed(_read_hdf5, pure=True)(path, dataset, rows, roi_shape)
        blocks.append(da.from_delayed(reader, shape=(rows[1] - rows[0],) + out_shape, dtype=dtype))
    if not blocks:
        raise ValueError("%s:%s holds no ROIs" % (path, dataset))
    return da.concatenate(blocks, axis=0)


def _fit_block(block, model, options):
    """Fits one block where it lives; returns the result's arrays."""
    result = _fit_here(block, model, **options)
    return (result.parameters, result.standard_errors, result.states, result.chi_squares, result.iterations,
            result.backend)


def fit(array, model, *, threads=1, compute=True, **options):
    """Fits every ROI (or curve) of `array`, a dask array whose first axis is the fits, with
    `femtofit.fit`'s options, one task per block. Returns a `femtofit.FitResult` in the order of
    the array's rows (`compute=False`: a dask.delayed of it).

    threads: CPU threads per task (default 1: run one Dask worker thread per core, and the cluster
    is the parallelism). Per-fit options (initial_parameters, lower_bounds, upper_bounds as
    (n_fits, n_parameters)) are cut to the blocks; `weights` may be a dask array chunked like
    `array`.
    """
    if not isinstance(array, da.Array):
        raise TypeError("femtofit.dask.fit takes a dask array; use femtofit.fit for numpy arrays")
    if array.ndim < 2:
        raise ValueError("the array's first axis must be the fits (got shape %s)" % (array.shape,))
    # Whole ROIs or curves per block: only the first axis may be split.
    array = array.rechunk({axis: -1 for axis in range(1, array.ndim)})
    weights = options.pop("weights", None)
    if weights is not None:
        if not isinstance(weights, da.Array) or weights.shape != array.shape:
            raise ValueError("weights must be a dask array of the data's shape %s" % (array.shape,))
        weights = weights.rechunk(array.chunks)
    per_fit = {}
    for key in _PER_FIT:
        value = options.get(key)
        if value is not None and np.ndim(value) == 2:
            value = np.asarray(value)
            if value.shape[0] != array.shape[0]:
                raise ValueError("%s has %d rows for %d fits" % (key, value.shape[0], array.shape[0]))
            per_fit[key] = options.pop(key)
    options["threads"] = threads
    parameter_count = len(parameter_names(model))  # fails here, not on a worker, for an unknown model

    tasks, start = [], 0
    blocks = array.to_delayed().ravel()
    weight_blocks = weights.to_delayed().ravel() if weights is not None else [None] * len(blocks)
    for block, size, weight in zip(blocks, array.chunks[0], weight_blocks):
        block_options = dict(options)
        for key, value in per_fit.items():
            block_options[key] = np.asarray(value)[start:start + size]
        if weight is not None:
            block_options["weights"] = weight
        tasks.append(dask.delayed(_fit_block, pure=True)(block, model, block_options))
        start += size

    def gather(pieces):
        parameters, errors, states, chi, iterations, backends = zip(*pieces) if pieces else ([],) * 6
        return FitResult(str(model), parameter_names(model),
                         np.concatenate(parameters) if pieces else np.empty((0, parameter_count)),
                         np.concatenate(errors) if pieces else np.empty((0, parameter_count)),
                         np.concatenate(states) if pieces else np.empty(0, np.int32),
                         np.concatenate(chi) if pieces else np.empty(0),
                         np.concatenate(iterations) if pieces else np.empty(0, np.int32),
                         backends[0] if pieces else "")

    if compute:
        # Each block's results come straight to the client (one transfer each) and are joined here.
        return gather(list(dask.compute(*tasks)))
    return dask.delayed(gather, pure=True)(tasks)
