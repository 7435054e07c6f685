"""Finds and loads femtofit's C library, and declares its functions for ctypes.

Where it looks, in order: $FEMTOFIT_LIBRARY (a file); the package folder (put there by
`pip install ./bindings/python`); the checkout the package was installed from
(.build/release/libfemtofit_c.so); a system install (`scripts/install-library`, found by
ctypes.util.find_library("femtofit")). When none has it but the checkout is known and `swift` is
on PATH, it builds the library there first. Otherwise NativeLibraryError says what to do.
"""
import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
import threading

from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_size_t, c_void_p

_SUFFIX = ".dylib" if sys.platform == "darwin" else ".so"
_lock = threading.Lock()
_library = None


class NativeLibraryError(ImportError):
    """femtofit's C library could not be found, built or loaded."""


class Batch(ctypes.Structure):
    """femtofit_batch (femtofit.h)."""
    _fields_ = [
        ("model", c_int), ("n_fits", c_size_t), ("n_points", c_size_t), ("roi_width", c_size_t),
        ("roi_height", c_size_t), ("value_type", c_int), ("data", c_void_p), ("weights", c_void_p),
        ("x", c_void_p), ("x_per_fit", c_int), ("initial_parameters", c_void_p),
        ("parameters_to_fit", c_void_p), ("lower_bounds", c_void_p), ("upper_bounds", c_void_p),
    ]


class Spline(ctypes.Structure):
    """femtofit_spline (femtofit.h)."""
    _fields_ = [
        ("dimensions", c_int), ("intervals", c_size_t * 3), ("slice_height", c_size_t), ("coefficients", c_void_p),
    ]


PROGRESS = ctypes.CFUNCTYPE(c_int, c_size_t, c_size_t, c_void_p)


class Settings(ctypes.Structure):
    """femtofit_settings (femtofit.h)."""
    _fields_ = [
        ("tolerance", c_double), ("max_iterations", c_int), ("estimator", c_int),
        ("weights_are_inverse_variances", c_int), ("robust_errors", c_int), ("progress", PROGRESS),
        ("progress_user_data", c_void_p),
    ]


class Results(ctypes.Structure):
    """femtofit_results (femtofit.h)."""
    _fields_ = [
        ("parameters", c_void_p), ("standard_errors", c_void_p), ("states", c_void_p),
        ("chi_squares", c_void_p), ("iterations", c_void_p),
    ]


def _declare(lib):
    lib.femtofit_context_create.restype = c_void_p
    lib.femtofit_context_create.argtypes = [c_int, c_int, c_char_p, c_int]
    lib.femtofit_context_destroy.restype = c_int
    lib.femtofit_context_destroy.argtypes = [c_void_p]
    lib.femtofit_context_description.restype = c_char_p
    lib.femtofit_context_description.argtypes = [c_void_p]
    lib.femtofit_cancel.restype = c_int
    lib.femtofit_cancel.argtypes = [c_void_p]
    lib.femtofit_settings_init.restype = None
    lib.femtofit_settings_init.argtypes = [POINTER(Settings)]
    lib.femtofit_fit.restype = c_int
    lib.femtofit_fit.argtypes = [c_void_p, POINTER(Batch), POINTER(Settings), POINTER(Results)]
    lib.femtofit_fit_spline.restype = c_int
    lib.femtofit_fit_spline.argtypes = [c_void_p, POINTER(Batch), POINTER(Spline), POINTER(Settings), POINTER(Results)]
    lib.femtofit_model_parameter_count.restype = c_int
    lib.femtofit_model_parameter_count.argtypes = [c_int]
    lib.femtofit_model_name.restype = c_char_p
    lib.femtofit_model_name.argtypes = [c_int]
    lib.femtofit_model_id.restype = c_int
    lib.femtofit_model_id.argtypes = [c_char_p]
    lib.femtofit_model_parameter_name.restype = c_char_p
    lib.femtofit_model_parameter_name.argtypes = [c_int, c_int]
    lib.femtofit_model_dimensions.restype = c_int
    lib.femtofit_model_dimensions.argtypes = [c_int]
    lib.femtofit_model_ids.restype = c_int
    lib.femtofit_model_ids.argtypes = [POINTER(c_int), c_int]
    lib.femtofit_model_compile.restype = c_int
    lib.femtofit_model_compile.argtypes = [c_char_p, POINTER(c_int)]
    lib.femtofit_model_release.restype = c_int
    lib.femtofit_model_release.argtypes = [c_int]
    lib.femtofit_last_error.restype = c_char_p
    lib.femtofit_last_error.argtypes = []
    lib.femtofit_version.restype = c_char_p
    lib.femtofit_version.argtypes = []
    lib.femtofit_api_version.restype = c_int
    lib.femtofit_api_version.argtypes = []
    return lib


def _source_root():
    try:
        from . import _install_info
        return _install_info.SOURCE_ROOT
    except ImportError:
        # Imported from the checkout itself (bindings/python on sys.path), not installed.
        here = os.path.dirname(os.path.abspath(__file__))
        root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
        return root if os.path.exists(os.path.join(root, "Package.swift")) else None


def candidates():
    """Where the library may be, in the order they are tried."""
    found = []
    if os.environ.get("FEMTOFIT_LIBRARY"):
        found.append(os.environ["FEMTOFIT_LIBRARY"])
    found.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "libfemtofit" + _SUFFIX))
    root = _source_root()
    if root:
        found.append(os.path.join(root, ".build", "release", "libfemtofit_c" + _SUFFIX))
    system = ctypes.util.find_library("femtofit")
    if system:
        found.append(system)
    return found


def _build_in_checkout(root):
    command = ["swift", "build", "-c", "release", "--product", "femtofit_c"]
    sys.stderr.write("femtofit: building the C library: %s (in %s)\n" % (" ".join(command), root))
    result = subprocess.run(command, cwd=root)
    return result.returncode == 0


def load():
    """The loaded library (loaded once per process)."""
    global _library
    with _lock:
        if _library is not None:
            return _library
        tried = []
        explicit = os.environ.get("FEMTOFIT_LIBRARY")
        if explicit and not os.path.exists(explicit):
            raise NativeLibraryError("FEMTOFIT_LIBRARY=%s does not exist; point it at libfemtofit%s "
                                     "(build it with `swift build -c release --product femtofit_c`)" % (explicit, _SUFFIX))
        for path in candidates():
            if os.path.sep in path and not os.path.exists(path):
                tried.append(path)
                continue
            try:
                _library = _declare(ctypes.CDLL(path))
                return _library
            except OSError as error:
                raise NativeLibraryError("femtofit's C library %s exists but does not load: %s" % (path, error))
        root = _source_root()
        if root and shutil.which("swift") and _build_in_checkout(root):
            path = os.path.join(root, ".build", "release", "libfemtofit_c" + _SUFFIX)
            _library = _declare(ctypes.CDLL(path))
            return _library
        raise NativeLibraryError(
            "femtofit's C library was not found (tried: %s). Build it in a femtofit checkout with "
            "`swift build -c release --product femtofit_c`, then either reinstall this package from "
            "there (`pip install ./bindings/python`), install the library system-wide "
            "(`scripts/install-library`), or set FEMTOFIT_LIBRARY to the built file."
            % (", ".join(tried) or "nothing"))
