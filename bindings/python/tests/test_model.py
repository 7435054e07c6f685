"""femtofit.Model: runtime models from an expression or a model file's text, fitted as the
built-in twin is, on one process and on Dask workers; faults named."""
import math
import pickle

import numpy as np
import pytest

import femtofit
import femtofit.dask as ffd
from conftest import gaussian_rois

GAUSS2D = "amplitude * exp(-((x - x0)^2 + (y - y0)^2) / (2 * sigma^2)) + offset"
STARTS = {"amplitude": "amplitude", "x0": "centroid_x", "y0": "centroid_y", "sigma": "rms_width", "offset": "baseline"}


def twin():
    return femtofit.Model(expression=GAUSS2D, parameters=["amplitude", "x0", "y0", "sigma", "offset"],
                          coordinates=["x", "y"], name="py-gauss2d", start=STARTS, bounds={"sigma": (0, math.inf)})


def test_a_runtime_twin_fits_as_the_built_in_model(rng):
    data, truth = gaussian_rois(rng, 200, 11, 13)
    model = twin()
    assert model.parameters == ["amplitude", "x0", "y0", "sigma", "offset"] and model.dimensions == 2
    assert femtofit.parameter_names(model) == model.parameters
    built_in = femtofit.fit(data, "gauss2d", backend="cpu")
    runtime = femtofit.fit(data, model, backend="cpu")
    assert runtime.model == "py-gauss2d"
    np.testing.assert_array_equal(runtime.states, built_in.states)
    ok = built_in.states == 0
    assert ok.mean() > 0.95
    # Within 1e-4 relative or 0.05 standard errors (float32 sums in a different order).
    difference = np.abs(runtime.parameters[ok] - built_in.parameters[ok])
    assert (difference <= np.maximum(1e-4 * np.abs(built_in.parameters[ok]), 0.05 * built_in.standard_errors[ok])).all()


def test_model_file_text_curves_and_bounds(rng):
    t = np.linspace(0, 50, 60)
    a, tau, b = rng.uniform(50, 100, 30), rng.uniform(5, 15, 30), rng.uniform(-5, 5, 30)
    curves = a[:, None] * np.exp(-t / tau[:, None]) + b[:, None] + rng.normal(0, 0.5, (30, 60))
    model = femtofit.Model('name = "decay"\ncoordinates = ["t"]\nparameters = ["A", "tau", "B"]\n'
                           'expression = "A * exp(-t / tau) + B"\n[start]\nA = "first - last"\ntau = "10"\nB = "last"\n'
                           '[bounds]\ntau = [0.1, "inf"]\n')
    result = femtofit.fit(curves.astype(np.float32), model, x=t, backend="cpu", max_iterations=100)
    assert (result.states == 0).all(), result.state_names()
    np.testing.assert_allclose(result.parameters[:, 1], tau, rtol=0.05)


def test_faults_are_named():
    with pytest.raises(ValueError, match="column"):
        femtofit.Model(expression="A * exp(-t / ", parameters=["A"], coordinates=["t"])
    with pytest.raises(ValueError, match="did you mean 'tau'"):
        femtofit.Model(expression="A * exp(-t / taau)", parameters=["A", "tau"], coordinates=["t"])
    with pytest.raises(ValueError, match="does not change the model"):
        femtofit.Model(expression="A * t", parameters=["A", "B"], coordinates=["t"])
    with pytest.raises(ValueError, match="unknown key 'colour'"):
        femtofit.Model('name = "m"\ncoordinates = ["t"]\nparameters = ["a"]\nexpression = "a * t"\ncolour = 1\n')
    with pytest.raises(TypeError):
        femtofit.Model(expression="a * t")


def test_a_model_travels_to_dask_workers(rng):
    from dask.distributed import Client, LocalCluster
    import dask.array as da
    data, _ = gaussian_rois(rng, 300, 9, 11)
    model = twin()
    assert pickle.loads(pickle.dumps(model)).parameters == model.parameters
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster):
            result = ffd.fit(da.from_array(data, chunks=(100, 9, 11)), model, backend="cpu")
    here = femtofit.fit(data, model, backend="cpu", threads=1)
    np.testing.assert_array_equal(result.parameters, here.parameters)
    np.testing.assert_array_equal(result.states, here.states)
