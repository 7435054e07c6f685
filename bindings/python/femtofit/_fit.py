"""femtofit.fit: numpy arrays in, numpy arrays out, through femtofit's C API."""
import ctypes
import threading
from dataclasses import dataclass, field

import numpy as np

from . import _native
from ._model import Model

BACKENDS = {"auto": 0, "cpu": 1, "opencl": 2, "reference": 3}
PRECISIONS = {"single": 0, "double": 1}
ESTIMATORS = {"lse": 0, "mle": 1}
STATES = {0: "converged", 1: "max_iterations", 2: "singular", 3: "negative_curvature", 5: "invalid_input", 6: "at_bound", 7: "non_finite_model"}
_FLOAT32, _FLOAT64 = 0, 1
MAX_ITERATIONS = 100_000  # the library's range for max_iterations is 1 ... 100000
_OK, _CANCELLED = 0, -2


def _whole(value, name, lowest, highest):
    """`value` as an int in [lowest, highest]; a float, bool or string is refused, never rounded."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError("%s must be a whole number from %d to %d, not %r (%s)"
                        % (name, lowest, highest, value, type(value).__name__))
    if not lowest <= int(value) <= highest:
        raise ValueError("%s must be from %d to %d, not %d" % (name, lowest, highest, int(value)))
    return int(value)


def _positive_real(value, name):
    """`value` as a finite positive float; a string or bool is refused, never parsed."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError("%s must be a positive number, not %r (%s)" % (name, value, type(value).__name__))
    if not (np.isfinite(value) and value > 0):
        raise ValueError("%s must be a finite positive number, not %r" % (name, value))
    return float(value)


class FemtofitError(RuntimeError):
    """A whole call failed in the C library; the message is the library's."""


class FitCancelled(FemtofitError):
    """The progress callback asked to stop. `done` fits (in whole chunks) were fitted."""

    def __init__(self, message, results=None):
        super().__init__(message)
        self.results = results


@dataclass
class FitResult:
    """The outputs of `fit`, one row per fit."""
    model: str
    parameter_names: list
    parameters: np.ndarray       # (n_fits, n_parameters) float64; NaN for invalid input
    standard_errors: np.ndarray  # (n_fits, n_parameters) float64
    states: np.ndarray           # (n_fits,) int32: 0 converged (honest: finite errors, on no bound), 1 max_iterations, 2 singular, 3 negative_curvature, 5 invalid_input, 6 at_bound, 7 non_finite_model
    chi_squares: np.ndarray      # (n_fits,) float64
    iterations: np.ndarray       # (n_fits,) int32
    backend: str = field(default="")

    def __len__(self):
        return self.states.shape[0]

    def state_names(self):
        return [STATES.get(int(s), str(int(s))) for s in self.states]


_contexts = {}
_contexts_lock = threading.Lock()


class _Context:
    """A C context and the lock that makes fits on it take turns."""

    def __init__(self, lib, backend, precision, device, threads):
        self.lib = lib
        self.handle = lib.femtofit_context_create(BACKENDS[backend], PRECISIONS[precision],
                                                  device.encode() if device else None, int(threads))
        if not self.handle:
            raise FemtofitError(lib.femtofit_last_error().decode())
        self.description = lib.femtofit_context_description(self.handle).decode()
        self.lock = threading.Lock()


def context(backend="auto", precision="single", device=None, threads=0):
    """The shared context for these choices (created once: an OpenCL context is costly)."""
    if backend not in BACKENDS:
        raise ValueError("backend must be one of %s, not %r" % (", ".join(BACKENDS), backend))
    if precision not in PRECISIONS:
        raise ValueError("precision must be 'single' or 'double', not %r" % (precision,))
    threads = _whole(threads, "threads (0 = every core)", 0, 2**31 - 1)
    key = (backend, precision, device, int(threads))
    with _contexts_lock:
        if key not in _contexts:
            _contexts[key] = _Context(_native.load(), *key)
        return _contexts[key]


def model_names():
    """Every model femtofit fits, by the names `fit` takes."""
    lib = _native.load()
    count = lib.femtofit_model_ids(None, 0)
    ids = (ctypes.c_int * count)()
    lib.femtofit_model_ids(ids, count)
    return [lib.femtofit_model_name(i).decode() for i in ids]


def parameter_names(model):
    """A model's parameter names, in the order of `FitResult.parameters` columns."""
    lib = _native.load()
    model_id = _model_id(lib, model)
    return [lib.femtofit_model_parameter_name(model_id, j).decode()
            for j in range(lib.femtofit_model_parameter_count(model_id))]


def _model_id(lib, model):
    if isinstance(model, Model):
        return model.id
    if not isinstance(model, str):
        raise TypeError("model must be a name such as 'gauss2d' (one of %s) or a femtofit.Model" % ", ".join(model_names()))
    model_id = lib.femtofit_model_id(model.encode())
    if model_id < 0:
        raise ValueError("unknown model %r; femtofit fits %s" % (model, ", ".join(model_names())))
    return model_id


def _values(array, name, dtype=None):
    """`array` as a C-contiguous float32 or float64 array: no copy when it already is one."""
    a = np.asarray(array)
    if a.dtype.kind not in "fiub":
        raise TypeError("%s must hold numbers, not %s" % (name, a.dtype))
    if dtype is None:
        dtype = a.dtype if a.dtype in (np.float32, np.float64) else (np.float32 if a.dtype.itemsize <= 2 else np.float64)
    return np.ascontiguousarray(a, dtype=dtype)


def _per_fit(array, name, n_fits, n_parameters):
    """Start values or bounds: (n_parameters,) for every fit, or (n_fits, n_parameters)."""
    if array is None:
        return None
    a = np.asarray(array, dtype=np.float64)
    if a.shape == (n_parameters,):
        a = np.broadcast_to(a, (n_fits, n_parameters))
    if a.shape != (n_fits, n_parameters):
        raise ValueError("%s has shape %s; it needs (%d,) or (%d, %d) (n_fits, n_parameters)"
                         % (name, a.shape, n_parameters, n_fits, n_parameters))
    return np.ascontiguousarray(a)


def _pointer(array):
    return None if array is None else array.ctypes.data


#: Bytes of data handed to the library at a time when the input is a memory map or an HDF5 dataset.
STREAM_BYTES = 32 << 20


def _is_streamed(data):
    """A numpy memory map or an h5py dataset: read and fitted a block of rows at a time."""
    return isinstance(data, np.memmap) or type(data).__module__.startswith("h5py")


def _release(data, rows):
    """Lets the kernel drop a memory map's pages for `rows` once fitted, so the process's memory
    does not grow with the file (pages it touched count as its own)."""
    mapping = getattr(data, "_mmap", None)
    if mapping is None or not hasattr(mapping, "madvise"):
        return
    import mmap
    row_bytes = int(np.prod(data.shape[1:], dtype=np.int64)) * data.dtype.itemsize
    start = data.offset + rows.start * row_bytes
    stop = data.offset + rows.stop * row_bytes
    start -= start % mmap.PAGESIZE
    try:
        mapping.madvise(mmap.MADV_DONTNEED, start, stop - start)
    except (OSError, ValueError):
        pass


def fit(data, model, *, progress=None, **options):
    """Fits every ROI or curve in `data` with `model`; returns a `FitResult`.

    data: 2D models take (n_fits, height, width) ROIs of any shape, or (n_fits, n_points) with
        `roi_shape=(height, width)`; 1D models take (n_fits, n_points) or one curve (n_points,).
        float32 and float64 are used as they are (no copy when C-contiguous); other number types
        are converted. A `numpy.memmap` or an h5py dataset is read and fitted about 32 MB of rows
        at a time (its pages released behind), so a file larger than memory is never copied whole.
    initial_parameters, lower_bounds, upper_bounds: (n_parameters,) for all fits or
        (n_fits, n_parameters); without start values each fit starts from an estimate from its
        data. NaN or +-inf leave a bound open.
    weights: like data; 1/variance for least squares, 0 masks a point.
    x: 1D models' x values (delays for kinetics): (n_points,) or (n_fits, n_points); default 0, 1, ...
    parameters_to_fit: n_parameters flags; False holds a parameter at its start value.
    estimator: 'lse' or 'mle' (Poisson, raw counts only).
    backend: 'auto', 'cpu', 'opencl' or 'reference'; device: the OpenCL device (index, 'gpu',
        'cpu' or part of a name); precision: 'single' or 'double'; threads: CPU threads, 0 = all.
    progress: called as progress(done, total) after each chunk of fits; return True to stop
        (FitCancelled is raised, carrying the results of the chunks done).
    spline_coefficients: the spline models' template (spline1d, spline2d, spline3d; required
        there, with initial_parameters), in Gpufit's layout shaped as the intervals and then the
        orders: (nx, 4), (nx, ny, 4, 4) or (nx, ny, nz, 4, 4, 4); slice_height: for spline3d on
        ROIs that stack z slices, the rows of one slice (docs/spline-models.md).
    """
    if not _is_streamed(data) or len(data.shape) < 2:
        return _fit_arrays(data, model, progress=progress, **options)
    n_fits = data.shape[0]
    row_bytes = max(1, int(np.prod(data.shape[1:], dtype=np.int64)) * data.dtype.itemsize)
    rows_per_block = max(1024, STREAM_BYTES // row_bytes)
    per_fit = {}
    for key in ("initial_parameters", "lower_bounds", "upper_bounds", "weights", "x"):
        value = options.get(key)
        if value is not None and np.ndim(value) >= 2 and np.shape(value)[0] == n_fits and (key != "x" or np.ndim(value) == 2):
            per_fit[key] = options.pop(key)
    pieces = []
    for first in range(0, n_fits, rows_per_block):
        rows = slice(first, min(n_fits, first + rows_per_block))
        block_options = dict(options)
        for key, value in per_fit.items():
            block_options[key] = value[rows]
        block_progress, stop = None, [False]
        if progress is not None:
            def block_progress(done, _total, first=first):
                stop[0] = bool(progress(first + done, n_fits))
                return stop[0]
        try:
            pieces.append(_fit_arrays(data[rows], model, progress=block_progress, **block_options))
        except FitCancelled as cancelled:
            if cancelled.results is not None:
                pieces.append(cancelled.results)
            raise FitCancelled(str(cancelled), _join(pieces, n_fits)) from None
        if isinstance(data, np.memmap):
            _release(data, rows)
        if stop[0] and rows.stop < n_fits:
            # Asked to stop as the block ended: the next block is not started.
            raise FitCancelled("cancelled by the progress callback after %d of %d fits" % (rows.stop, n_fits),
                               _join(pieces, n_fits))
    return _join(pieces, n_fits)


def _join(pieces, n_fits):
    """One result from the blocks' results; rows past the fitted ones NaN and -1."""
    first = pieces[0]
    def column(name, fill):
        values = np.concatenate([getattr(p, name) for p in pieces])
        if values.shape[0] < n_fits:
            pad = np.full((n_fits - values.shape[0],) + values.shape[1:], fill, dtype=values.dtype)
            values = np.concatenate([values, pad])
        return values
    return FitResult(first.model, first.parameter_names, column("parameters", np.nan), column("standard_errors", np.nan),
                     column("states", -1), column("chi_squares", np.nan), column("iterations", -1), first.backend)


def _fit_arrays(data, model, *, initial_parameters=None, weights=None, x=None, roi_shape=None, parameters_to_fit=None,
                lower_bounds=None, upper_bounds=None, estimator="lse", tolerance=1e-4, max_iterations=20,
                weights_are_inverse_variances=True, robust_errors=False, backend="auto", device=None, precision="single",
                threads=0, progress=None, spline_coefficients=None, slice_height=0):
    """`fit` on arrays in memory: one call into the library."""
    lib = _native.load()
    model_id = _model_id(lib, model)
    spline = _spline(model, spline_coefficients, slice_height)
    n_parameters = lib.femtofit_model_parameter_count(model_id)
    if estimator not in ESTIMATORS:
        raise ValueError("estimator must be 'lse' or 'mle', not %r" % (estimator,))
    values = _values(data, "data")
    grid = lib.femtofit_model_dimensions(model_id) == 2
    width = height = 0
    if grid:
        if values.ndim == 3:
            if roi_shape is not None and tuple(roi_shape) != values.shape[1:]:
                raise ValueError("roi_shape %s does not match data's ROIs %s" % (tuple(roi_shape), values.shape[1:]))
            height, width = values.shape[1:]
            values = values.reshape(values.shape[0], height * width)
        elif values.ndim == 2 and roi_shape is not None:
            if len(tuple(roi_shape)) != 2:
                raise ValueError("roi_shape must be (height, width), not %r" % (roi_shape,))
            height, width = (_whole(v, "roi_shape", 1, 2**31 - 1) for v in roi_shape)
            if height * width != values.shape[1]:
                raise ValueError("a %dx%d ROI has %d pixels, but data have %d points per fit"
                                 % (height, width, height * width, values.shape[1]))
        else:
            raise ValueError("%s fits 2D ROIs: give data as (n_fits, height, width), or (n_fits, n_points) "
                             "with roi_shape=(height, width); got shape %s" % (model, values.shape))
    else:
        if values.ndim == 1:
            values = values.reshape(1, -1)
        if values.ndim != 2:
            raise ValueError("%s fits curves: give data as (n_fits, n_points) or (n_points,); got shape %s"
                             % (model, np.shape(data)))
    n_fits, n_points = values.shape
    if n_fits == 0 or n_points == 0:
        raise ValueError("data hold no fits (shape %s)" % (np.shape(data),))
    value_type = _FLOAT64 if values.dtype == np.float64 else _FLOAT32

    w = None
    if weights is not None:
        w = _values(weights, "weights", values.dtype)
        if w.size != values.size:
            raise ValueError("weights have shape %s; they need one value per data point (%s)"
                             % (np.shape(weights), np.shape(data)))
    xs, x_per_fit = None, 0
    if x is not None:
        if grid:
            raise ValueError("%s fits ROIs on their pixel grid: x is for 1D models" % model)
        xs = _values(x, "x", values.dtype)
        if xs.shape == (n_points,):
            x_per_fit = 0
        elif xs.shape == (n_fits, n_points):
            x_per_fit = 1
        else:
            raise ValueError("x has shape %s; it needs (%d,) or (%d, %d)" % (xs.shape, n_points, n_fits, n_points))
        if not np.all(np.isfinite(xs)):
            raise ValueError("x holds NaN or infinite values")
    mask = None
    if parameters_to_fit is not None:
        mask = np.ascontiguousarray(np.asarray(parameters_to_fit).astype(bool), dtype=np.int32)
        if mask.shape != (n_parameters,):
            raise ValueError("parameters_to_fit needs %d flags for %s, not shape %s" % (n_parameters, model, mask.shape))
    start = _per_fit(initial_parameters, "initial_parameters", n_fits, n_parameters)
    lower = _per_fit(lower_bounds, "lower_bounds", n_fits, n_parameters)
    upper = _per_fit(upper_bounds, "upper_bounds", n_fits, n_parameters)

    batch = _native.Batch(model_id, n_fits, n_points, width, height, value_type, _pointer(values), _pointer(w),
                          _pointer(xs), x_per_fit, _pointer(start), _pointer(mask), _pointer(lower), _pointer(upper))
    settings = _native.Settings()
    lib.femtofit_settings_init(ctypes.byref(settings))
    settings.tolerance = _positive_real(tolerance, "tolerance")
    settings.max_iterations = _whole(max_iterations, "max_iterations", 1, MAX_ITERATIONS)
    settings.estimator = ESTIMATORS[estimator]
    settings.weights_are_inverse_variances = 1 if weights_are_inverse_variances else 0
    settings.robust_errors = 1 if robust_errors else 0
    callback_error, fitted = [], [0]
    if progress is not None:
        def report(done, total, _user):
            fitted[0] = int(done)
            try:
                return 1 if progress(int(done), int(total)) else 0
            except BaseException as error:  # noqa: B036 - a KeyboardInterrupt in the callback stops the fit
                callback_error.append(error)
                return 1
        settings.progress = _native.PROGRESS(report)

    # The library writes every row (empty, not NaN-filled: filling 10^6 rows would cost a few % of
    # the fit); a cancelled fit's rows past the chunks done are set to NaN and -1 below.
    parameters = np.empty((n_fits, n_parameters))
    errors = np.empty((n_fits, n_parameters))
    states = np.empty(n_fits, dtype=np.int32)
    chi = np.empty(n_fits)
    iterations = np.empty(n_fits, dtype=np.int32)
    results = _native.Results(parameters.ctypes.data, errors.ctypes.data, states.ctypes.data, chi.ctypes.data,
                              iterations.ctypes.data)
    ctx = context(backend, precision, device, threads)
    with ctx.lock:
        if spline is None:
            status = lib.femtofit_fit(ctx.handle, ctypes.byref(batch), ctypes.byref(settings), ctypes.byref(results))
        else:
            status = lib.femtofit_fit_spline(ctx.handle, ctypes.byref(batch), ctypes.byref(spline[0]), ctypes.byref(settings),
                                             ctypes.byref(results))
        message = lib.femtofit_last_error().decode() if status != _OK else ""
    if status != _OK:
        for array, unwritten in ((parameters, np.nan), (errors, np.nan), (chi, np.nan), (states, -1), (iterations, -1)):
            array[fitted[0]:] = unwritten
    result = FitResult(str(model), parameter_names(model), parameters, errors, states, chi, iterations, ctx.description)
    if callback_error:
        raise callback_error[0]
    if status == _CANCELLED:
        raise FitCancelled(message, result)
    if status != _OK:
        raise FemtofitError(message)
    return result


SPLINE_MODELS = ("spline1d", "spline2d", "spline3d")
# The shapes of a spline's coefficients after its intervals: the orders, per axis or as one axis.
_SPLINE_ORDERS = [(1, (4,)), (2, (4, 4)), (2, (16,)), (3, (4, 4, 4)), (3, (64,))]


def _spline(model, coefficients, slice_height):
    """(femtofit_spline, the array it points into) for a spline model, None for the others."""
    is_spline = str(model).lower() in SPLINE_MODELS
    if coefficients is None:
        if is_spline:
            raise ValueError("%s fits a spline template: pass spline_coefficients= (docs/spline-models.md)" % (model,))
        return None
    if not is_spline:
        raise ValueError("spline_coefficients are for %s, not %s" % (", ".join(SPLINE_MODELS), model))
    c = np.ascontiguousarray(coefficients, dtype=np.float64)
    for dimensions, orders in _SPLINE_ORDERS:
        if c.ndim == dimensions + len(orders) and c.shape[dimensions:] == orders:
            break
    else:
        raise ValueError("spline_coefficients has shape %s; it needs the intervals and then the orders: "
                         "(nx, 4), (nx, ny, 4, 4) or (nx, ny, nz, 4, 4, 4)" % (c.shape,))
    intervals = list(c.shape[:dimensions]) + [0] * (3 - dimensions)
    spline = _native.Spline(dimensions, (ctypes.c_size_t * 3)(*intervals), _whole(slice_height, "slice_height", 0, 1 << 30),
                            c.ctypes.data)
    return spline, c

