"""The library under Gpufit's file name, called exactly as pygpufit calls it: ctypes,
gpufit_constrained with its 18 arguments, float32 C-contiguous arrays and int32 flags."""
import os
import shutil
from ctypes import POINTER, byref, c_char, c_char_p, c_float, c_int, c_size_t, cdll

import numpy as np
import pytest

import femtofit
from conftest import built, gaussian_rois


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pygpufit")
    path = os.path.join(str(folder), "libGpufit.so")
    shutil.copyfile(built(".build/release/libfemtofit_c.so"), path)
    lib = cdll.LoadLibrary(path)
    lib.gpufit_constrained.restype = c_int
    lib.gpufit_constrained.argtypes = [c_size_t, c_size_t, POINTER(c_float), POINTER(c_float), c_int,
                                       POINTER(c_float), POINTER(c_float), POINTER(c_int), c_float, c_int,
                                       POINTER(c_int), c_int, c_size_t, POINTER(c_char), POINTER(c_float),
                                       POINTER(c_int), POINTER(c_float), POINTER(c_int)]
    # pygpufit binds the CUDA interface when it loads: it must be there (and refuse: no CUDA).
    lib.gpufit_constrained_cuda_interface.restype = c_int
    lib.gpufit_constrained_cuda_interface.argtypes = [c_size_t, c_size_t, POINTER(c_float), POINTER(c_float), c_int,
                                                      c_float, c_int, POINTER(c_int), POINTER(c_float),
                                                      POINTER(c_int), c_int, c_size_t, POINTER(c_char),
                                                      POINTER(c_float), POINTER(c_int), POINTER(c_float),
                                                      POINTER(c_int)]
    lib.gpufit_get_last_error.restype = c_char_p
    lib.gpufit_get_last_error.argtypes = None
    lib.gpufit_cuda_available.restype = c_int
    lib.gpufit_cuda_available.argtypes = None
    lib.gpufit_get_cuda_version.restype = c_int
    lib.gpufit_get_cuda_version.argtypes = [POINTER(c_int), POINTER(c_int)]
    return lib


def call(lib, data, weights, model_id, initial, constraints, types, tolerance=1e-4, iterations=20, mask=None,
         estimator=0, user_info=None):
    """pygpufit.fit_constrained's body: the arrays, the defaults and the call, as it makes them."""
    f = lib.gpufit_constrained
    n_fits, n_points = data.shape
    n_parameters = initial.shape[1]
    mask = np.ones(n_parameters, dtype=np.int32) if mask is None else mask
    types = np.full(n_parameters, 0, dtype=np.int32) if types is None else types
    parameters = np.zeros((n_fits, n_parameters), dtype=np.float32)
    states = np.zeros(n_fits, dtype=np.int32)
    chi = np.zeros(n_fits, dtype=np.float32)
    counts = np.zeros(n_fits, dtype=np.int32)
    status = f(f.argtypes[0](n_fits), f.argtypes[1](n_points), data.ctypes.data_as(f.argtypes[2]),
               None if weights is None else weights.ctypes.data_as(f.argtypes[3]), f.argtypes[4](model_id),
               initial.ctypes.data_as(f.argtypes[5]),
               None if constraints is None else constraints.ctypes.data_as(f.argtypes[6]),
               types.ctypes.data_as(f.argtypes[7]), f.argtypes[8](tolerance), f.argtypes[9](iterations),
               mask.ctypes.data_as(f.argtypes[10]), f.argtypes[11](estimator),
               f.argtypes[12](0 if user_info is None else user_info.nbytes),
               None if user_info is None else user_info.ctypes.data_as(f.argtypes[13]),
               parameters.ctypes.data_as(f.argtypes[14]), states.ctypes.data_as(f.argtypes[15]),
               chi.ctypes.data_as(f.argtypes[16]), counts.ctypes.data_as(f.argtypes[17]))
    return status, parameters, states, chi, counts


def test_cuda_available_and_version(lib):
    assert lib.gpufit_cuda_available() == 1
    runtime, driver = c_int(-1), c_int(-1)
    assert lib.gpufit_get_cuda_version(byref(runtime), byref(driver)) == 0
    # What Gpufit programs check before they fit (its performance example skips every fit otherwise).
    assert runtime.value > 0 and driver.value >= runtime.value


@pytest.mark.parametrize("estimator", [0, 1])
def test_gauss2d_mle_and_lse(lib, rng, estimator):
    rois, truth = gaussian_rois(rng, 500, 11, 11)
    data = np.ascontiguousarray(rois.reshape(500, 121), dtype=np.float32)
    initial = np.ascontiguousarray(truth * rng.uniform(0.9, 1.1, truth.shape), dtype=np.float32)
    status, parameters, states, chi, counts = call(lib, data, None, 1, initial, None, None, estimator=estimator)
    assert status == 0, lib.gpufit_get_last_error()
    converged = states == 0
    assert converged.mean() > 0.95 and np.all(states <= 3)
    assert np.all(np.abs(parameters[converged, 1] - truth[converged, 1]) < 0.3)
    assert np.all((counts >= 1) & (counts <= 20))
    # Gpufit's convergence rule, so femtofit's own API (its rule is different) is not the yardstick
    # here; the fits land on the same minimum within float32 noise.
    own = femtofit.fit(rois, "gauss2d", initial_parameters=initial.astype(np.float64),
                       estimator="mle" if estimator else "lse", backend="cpu", precision="double")
    both = converged & (own.states == 0)
    np.testing.assert_allclose(parameters[both, 1], own.parameters[both, 1], atol=0.02)


def test_constraints_weights_and_user_info(lib, rng):
    rois, truth = gaussian_rois(rng, 100, 9, 9)
    data = np.ascontiguousarray(rois.reshape(100, 81))
    initial = np.ascontiguousarray(truth, dtype=np.float32)
    constraints = np.zeros((100, 10), dtype=np.float32)
    constraints[:, 6:8] = [1.9, 2.0]  # sigma in [1.9, 2.0]
    types = np.array([0, 0, 0, 3, 0], dtype=np.int32)
    weights = np.ones_like(data)
    weights[:, 0] = 0
    data[:, 0] = np.nan  # masked by its zero weight
    status, parameters, states, _, _ = call(lib, data, weights, 1, initial, constraints, types)
    assert status == 0, lib.gpufit_get_last_error()
    assert np.all((parameters[:, 3] >= np.float32(1.9)) & (parameters[:, 3] <= np.float32(2.0)))
    assert np.all(states != 2)
    x = np.ascontiguousarray(np.linspace(0, 1, 7), dtype=np.float32)
    lines = np.ascontiguousarray(np.tile(0.5 + 2 * x, (10, 1)), dtype=np.float32)
    status, fitted, _, _, _ = call(lib, lines, None, 5, np.zeros((10, 2), np.float32), None, None, user_info=x)
    assert status == 0 and np.allclose(fitted, [0.5, 2], atol=1e-3)


def test_errors_come_back_as_status_and_message(lib):
    data = np.zeros((2, 81), np.float32)
    initial = np.zeros((2, 5), np.float32)
    status, *_ = call(lib, data, None, 13, initial, None, None)  # SPLINE_4D
    assert status == -1 and b"model not supported" in lib.gpufit_get_last_error()
    # Gpufit's words through gpufit_get_last_error, femtofit's detail through femtofit_last_error.
    lib.femtofit_last_error.restype = c_char_p
    lib.femtofit_last_error.argtypes = None
    status, *_ = call(lib, np.zeros((2, 80), np.float32), None, 1, initial, None, None)
    assert status == -1 and lib.gpufit_get_last_error() == b"invalid argument"
    assert b"square" in lib.femtofit_last_error()
    status, *_ = call(lib, data, None, 1, initial, None, None, estimator=3)
    assert status == -1 and lib.gpufit_get_last_error() == b"invalid argument"
    assert b"estimator" in lib.femtofit_last_error()


def test_the_cuda_interface_loads_and_refuses(lib):
    f = lib.gpufit_constrained_cuda_interface
    status = f(1, 81, None, None, 1, 1e-4, 20, None, None, None, 0, 0, None, None, None, None, None)
    assert status == -1 and b"CUDA" in lib.gpufit_get_last_error()
