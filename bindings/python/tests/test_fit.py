"""femtofit.fit: agreement with the CLI on the same data, the dtypes it takes, and its errors."""
import csv
import os
import subprocess

import numpy as np
import pytest

import femtofit
from conftest import built, gaussian_rois


def test_agrees_with_the_cli_on_the_same_raw_rois(rng, tmp_path):
    data, _ = gaussian_rois(rng, 64, 11, 13)
    raw = tmp_path / "rois.raw"
    data.tofile(raw)
    cli = built(".build/release/femtofit")
    subprocess.run([cli, "fit", str(raw), "--raw-shape", "13x11", "--model", "gauss2d", "--backend", "cpu",
                    "-o", str(tmp_path / "out")], check=True, capture_output=True)
    with open(tmp_path / "out" / "fits.csv") as handle:
        rows = list(csv.DictReader(handle))
    result = femtofit.fit(data, "gauss2d", backend="cpu")
    assert len(rows) == len(result) == 64
    columns = ["amplitude", "x0_px", "y0_px", "sigma_px", "offset"]
    cli_parameters = np.array([[float(row[c]) for c in columns] for row in rows])
    cli_errors = np.array([[float(row[c + "_err"]) for c in columns] for row in rows])
    np.testing.assert_allclose(result.parameters, cli_parameters, rtol=1e-6)
    np.testing.assert_allclose(result.standard_errors, cli_errors, rtol=1e-6)
    assert result.state_names() == [row["state"] for row in rows]
    np.testing.assert_array_equal(result.iterations, [int(row["iterations"]) for row in rows])
    np.testing.assert_allclose(result.chi_squares, [float(row["chi2"]) for row in rows], rtol=1e-6)


def test_float32_and_float64_give_the_same_fits_and_are_not_copied(rng):
    data, truth = gaussian_rois(rng, 200, 9, 9)
    single = femtofit.fit(data, "gauss2d", backend="cpu")
    double = femtofit.fit(data.astype(np.float64), "gauss2d", backend="cpu")
    np.testing.assert_array_equal(single.parameters, double.parameters)
    converged = single.states == 0
    assert converged.mean() > 0.95
    assert np.all(np.abs(single.parameters[converged, 1] - truth[converged, 1]) < 0.3)
    # No conversion needed, no copy: what goes to C is the caller's own array.
    from femtofit._fit import _values
    assert _values(data, "data") is data
    wide = data.astype(np.float64)
    assert _values(wide, "data") is wide
    assert _values(data[:, ::2], "data").flags.c_contiguous


def test_integer_frames_are_converted(rng):
    data, _ = gaussian_rois(rng, 20, 9, 9)
    counts = femtofit.fit(data.astype(np.uint16), "gauss2d", estimator="mle", backend="cpu")
    floats = femtofit.fit(data, "gauss2d", estimator="mle", backend="cpu")
    np.testing.assert_array_equal(counts.parameters, floats.parameters)


def test_any_roi_shape_and_flat_layout_with_roi_shape(rng):
    data, truth = gaussian_rois(rng, 50, 7, 15)
    by_shape = femtofit.fit(data, "gauss2d-elliptic", backend="cpu")
    flat = femtofit.fit(data.reshape(50, -1), "gauss2d-elliptic", roi_shape=(7, 15), backend="cpu")
    np.testing.assert_array_equal(by_shape.parameters, flat.parameters)
    assert by_shape.parameter_names == ["amplitude", "x0", "y0", "sigma_x", "sigma_y", "offset"]
    ok = by_shape.states == 0
    assert np.all(np.abs(by_shape.parameters[ok, 1] - truth[ok, 1]) < 0.3)


def test_curves_with_x_bounds_fixed_parameters_and_weights(rng):
    x = np.linspace(-2, 3, 12)
    offsets, slopes = rng.uniform(-1, 1, 30), rng.uniform(0.5, 2, 30)
    data = offsets[:, None] + slopes[:, None] * x + rng.normal(0, 0.01, (30, 12))
    result = femtofit.fit(data, "linear1d", x=x, weights=np.full(data.shape, 1e4), backend="cpu", precision="double")
    np.testing.assert_allclose(result.parameters[:, 1], slopes, atol=0.01)
    assert np.all(result.standard_errors[:, 1] < 0.01)
    fixed = femtofit.fit(data, "linear1d", x=x, initial_parameters=[0.0, 1.0], parameters_to_fit=[True, False],
                         backend="cpu")
    np.testing.assert_array_equal(fixed.parameters[:, 1], 1.0)
    np.testing.assert_array_equal(fixed.standard_errors[:, 1], 0.0)
    bounded = femtofit.fit(data, "linear1d", x=x, lower_bounds=[-np.inf, 1.0], upper_bounds=[np.inf, 1.2],
                           backend="cpu")
    # In single precision a bound is the float32 nearest to it (1.2 -> 1.2000000477).
    assert np.all((bounded.parameters[:, 1] >= 1.0) & (bounded.parameters[:, 1] <= np.float32(1.2)))
    assert np.any(bounded.parameters[:, 1] == np.float32(1.2)) or np.all(slopes < 1.2)
    # A fit whose slope ends on a bound is at_bound (6), never converged; the others converged.
    on_bound = (bounded.parameters[:, 1] == np.float32(1.2)) | (bounded.parameters[:, 1] == np.float32(1.0))
    np.testing.assert_array_equal(bounded.states[on_bound], 6)
    np.testing.assert_array_equal(bounded.states[~on_bound], 0)
    assert set(bounded.state_names()) <= {"converged", "at_bound"} and femtofit.STATES[6] == "at_bound"


def test_per_fit_x_and_a_single_curve():
    x = np.arange(10.0)
    one = femtofit.fit(2 + 3 * x, "linear1d", x=x, backend="reference")
    np.testing.assert_allclose(one.parameters, [[2, 3]], rtol=1e-9)
    xs = np.stack([x, x + 1])
    two = femtofit.fit(np.stack([2 + 3 * x, 2 + 3 * x]), "linear1d", x=xs, backend="cpu", precision="double")
    np.testing.assert_allclose(two.parameters[1], [-1, 3], atol=1e-6)


def test_a_nan_pixel_is_one_fits_state_not_an_exception(rng):
    data, _ = gaussian_rois(rng, 10, 9, 9)
    data[3, 4, 4] = np.nan
    result = femtofit.fit(data, "gauss2d", backend="cpu")
    assert result.states[3] == 5 and np.isnan(result.parameters[3]).all()
    assert np.sum(result.states == 0) >= 8


def test_progress_and_cancellation():
    data = np.tile(np.arange(8.0), (5000, 1))
    calls = []
    femtofit.fit(data, "linear1d", backend="cpu", progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (5000, 5000) and len(calls) >= 2
    with pytest.raises(femtofit.FitCancelled) as cancelled:
        femtofit.fit(data, "linear1d", backend="cpu", progress=lambda done, total: True)
    partial = cancelled.value.results
    assert partial.states[0] == 0 and partial.states[-1] == -1


def test_bad_input_raises_clear_exceptions():
    good = np.zeros((4, 9, 9), np.float32)
    with pytest.raises(ValueError, match="unknown model 'spline'"):
        femtofit.fit(good, "spline")
    with pytest.raises(ValueError, match="roi_shape"):
        femtofit.fit(good.reshape(4, 81), "gauss2d")
    with pytest.raises(ValueError, match="7x9 ROI has 63 pixels"):
        femtofit.fit(good.reshape(4, 81), "gauss2d", roi_shape=(7, 9))
    with pytest.raises(ValueError, match="estimator"):
        femtofit.fit(good, "gauss2d", estimator="chi2")
    with pytest.raises(ValueError, match="initial_parameters"):
        femtofit.fit(good, "gauss2d", initial_parameters=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="weights"):
        femtofit.fit(good, "gauss2d", weights=np.ones(5))
    with pytest.raises(ValueError, match="backend"):
        femtofit.fit(good, "gauss2d", backend="cuda")
    with pytest.raises(ValueError, match="no fits"):
        femtofit.fit(np.zeros((0, 9, 9), np.float32), "gauss2d")
    with pytest.raises(TypeError, match="numbers"):
        femtofit.fit(np.array([["a"]]), "linear1d")
    with pytest.raises(ValueError, match="x has shape"):
        femtofit.fit(np.zeros((2, 5)), "linear1d", x=np.arange(4.0))
    with pytest.raises(ValueError, match="tolerance"):
        femtofit.fit(good, "gauss2d", tolerance=-1)
    with pytest.raises(femtofit.FemtofitError, match="robust"):
        femtofit.fit(good, "gauss2d", estimator="mle", robust_errors=True)


def test_numeric_options_outside_their_range_or_type_are_refused_with_the_range():
    good = np.zeros((4, 9, 9), np.float32)
    # 2**32 + 1 used to wrap to 1 iteration in the C int; a float or string was silently converted.
    for bad, error, words in [(2**32 + 1, ValueError, "from 1 to 100000"), (0, ValueError, "from 1 to 100000"),
                              (2.5, TypeError, "whole number"), ("20", TypeError, "whole number"),
                              (True, TypeError, "whole number")]:
        with pytest.raises(error, match=words):
            femtofit.fit(good, "gauss2d", max_iterations=bad)
    for bad, error in [("1e-4", TypeError), (float("nan"), ValueError), (float("inf"), ValueError),
                       (0.0, ValueError), (False, TypeError)]:
        with pytest.raises(error, match="tolerance"):
            femtofit.fit(good, "gauss2d", tolerance=bad)
    for shape in [(9.0, 9.0), ("9", "9"), (0, 81)]:
        with pytest.raises((TypeError, ValueError), match="roi_shape"):
            femtofit.fit(good.reshape(4, 81), "gauss2d", roi_shape=shape)
    for bad in [1.5, -1, 2**31]:
        with pytest.raises((TypeError, ValueError), match="threads"):
            femtofit.fit(good, "gauss2d", threads=bad)
    # Values inside the ranges, numpy integers included, still fit.
    assert len(femtofit.fit(good, "gauss2d", max_iterations=np.int64(100000), tolerance=np.float32(1e-3),
                            roi_shape=(np.int32(9), 9))) == 4


def test_model_catalogue():
    assert "cauchy2d-elliptic" in femtofit.model_names() and len(femtofit.model_names()) == 20
    assert "kinetics4-artifact" in femtofit.model_names()
    assert femtofit.parameter_names("kinetics1-artifact")[-3:] == ["artifact_0", "artifact_1", "artifact_2"]
    assert femtofit.parameter_names("kinetics2") == ["amplitude_1", "tau_1", "amplitude_2", "tau_2", "t0",
                                                     "irf_sigma", "offset"]
    assert femtofit.version()


def test_a_missing_library_says_what_to_do(tmp_path):
    script = "import femtofit\ntry:\n    femtofit.fit([1.0, 2.0], 'linear1d')\nexcept femtofit.NativeLibraryError as e:\n    print(e)\n"
    env = dict(os.environ, FEMTOFIT_LIBRARY=str(tmp_path / "nothing.so"))
    out = subprocess.run(["python3", "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    assert "FEMTOFIT_LIBRARY" in out and "swift build" in out


def test_backend_and_device_choice(rng):
    data, _ = gaussian_rois(rng, 300, 11, 11)
    cpu = femtofit.fit(data, "gauss2d", backend="cpu", precision="double")
    opencl = femtofit.fit(data, "gauss2d", backend="opencl", device="cpu", precision="double")
    assert opencl.backend.startswith("opencl") and cpu.backend.startswith("cpu")
    both = (cpu.states == 0) & (opencl.states == 0)
    assert both.mean() > 0.9
    np.testing.assert_allclose(opencl.parameters[both], cpu.parameters[both], rtol=1e-6, atol=1e-6)
    with pytest.raises(femtofit.FemtofitError, match="device"):
        femtofit.fit(data, "gauss2d", backend="opencl", device="no-such-device")


def _catmull_rom_2d(samples):
    """Gpufit-layout coefficients (nx-1, ny-1, 4, 4) of the Catmull-Rom spline through samples."""
    basis = np.array([[0, 1, 0, 0], [-0.5, 0, 0.5, 0], [1, -2.5, 2, -0.5], [-0.5, 1.5, -1.5, 0.5]])
    padded = np.pad(samples, 1, mode="edge")
    nx, ny = samples.shape[0] - 1, samples.shape[1] - 1
    c = np.empty((nx, ny, 4, 4))
    for i in range(nx):
        for j in range(ny):
            c[i, j] = basis @ padded[i:i + 4, j:j + 4] @ basis.T
    return c


def test_spline_models_fit_a_template_given_as_coefficients():
    g = np.arange(21)
    samples = np.exp(-((g[:, None] - 10) ** 2 + (g[None, :] - 10) ** 2) / (2 * 1.8 ** 2))
    c = _catmull_rom_2d(samples)
    rng = np.random.default_rng(3)
    truth = np.column_stack([rng.uniform(200, 400, 30), rng.uniform(-5, -3, 30), rng.uniform(-5, -3, 30), rng.uniform(5, 20, 30)])
    cols, rows = np.meshgrid(np.arange(13), np.arange(13))
    data = np.empty((30, 13, 13))
    for f, (a, x0, y0, b) in enumerate(truth):
        px, py = cols - x0, rows - y0
        i = np.clip(np.floor(px).astype(int), 0, 19)
        j = np.clip(np.floor(py).astype(int), 0, 19)
        u, v = px - i, py - j
        powers_u = np.stack([u ** 0, u, u ** 2, u ** 3], -1)
        powers_v = np.stack([v ** 0, v, v ** 2, v ** 3], -1)
        data[f] = a * np.einsum("rcab,rca,rcb->rc", c[i, j], powers_u, powers_v) + b
    start = truth + np.array([20, 0.3, -0.3, 2])
    result = femtofit.fit(data, "spline2d", spline_coefficients=c, initial_parameters=start, precision="double",
                          tolerance=1e-12, max_iterations=100)
    assert np.all(result.states == 0)
    assert np.allclose(result.parameters, truth, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="spline_coefficients="):
        femtofit.fit(data, "spline2d", initial_parameters=start)
    with pytest.raises(ValueError, match="intervals and then the orders"):
        femtofit.fit(data, "spline2d", spline_coefficients=c.reshape(20, 20, 8, 2), initial_parameters=start)
    with pytest.raises(femtofit.FemtofitError, match="needs a 3D spline"):
        femtofit.fit(data, "spline3d", spline_coefficients=c, initial_parameters=np.column_stack([start[:, :3], np.zeros(30), start[:, 3]]))
