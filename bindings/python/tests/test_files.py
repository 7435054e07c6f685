"""fits.h5 read back with h5py and femtofit.read_fits; memory maps and h5py datasets fitted a block
at a time, giving the numbers of an in-memory fit."""
import subprocess

import h5py
import numpy as np
import pytest

import femtofit
import femtofit._fit as fit_module
from conftest import built, gaussian_rois


def test_read_fits_gives_the_cli_s_numbers(rng, tmp_path):
    data, _ = gaussian_rois(rng, 500, 11, 13)
    data[7, 3, 4] = np.nan          # a masked pixel
    data[9] = 0                     # a flat ROI: invalid input
    raw = tmp_path / "rois.raw"
    data.tofile(raw)
    subprocess.run([built(".build/release/femtofit"), "fit", str(raw), "--raw-shape", "13x11", "--backend", "cpu",
                    "--csv", "off", "-o", str(tmp_path / "out")], check=True, capture_output=True)
    fits = femtofit.read_fits(tmp_path / "out" / "fits.h5")
    here = femtofit.fit(data, "gauss2d", backend="cpu")
    ok = np.arange(500) != 7        # the masked ROI is fitted with its pixel masked by the CLI
    np.testing.assert_array_equal(fits.parameters[ok], here.parameters[ok])
    np.testing.assert_array_equal(fits.state[ok], here.states[ok])
    np.testing.assert_array_equal(fits.iterations[ok], here.iterations[ok])
    assert fits.parameters.shape == (500, 5) and fits.roi.shape == (500, 4)
    assert fits.columns == ["amplitude", "x0_px", "y0_px", "sigma_px", "offset"]
    assert fits.metadata["model"] == "gauss2d" and fits.metadata["backend"] == "cpu"
    assert fits.state_names[int(fits.state[9])] == "invalid_input"
    assert fits.problem_codes[int(fits.problem[9])].startswith("the data are flat")
    assert fits.masked_pixels[7] == 1 and fits.state[7] == 0
    assert fits.index.tolist() == list(range(500))
    # h5py alone reads it too: the attributes are strings, the columns named.
    with h5py.File(tmp_path / "out" / "fits.h5") as f:
        assert f.attrs["schema"] == "femtofit-fits-h5/1"
        assert list(f["parameters"].attrs["columns"]) == fits.columns
    with pytest.raises(ValueError, match="not a fits.h5"):
        with h5py.File(tmp_path / "other.h5", "w") as f:
            f["x"] = np.zeros(3)
        femtofit.read_fits(tmp_path / "other.h5")


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 1 024 ROIs, so a few thousand fits cross several blocks."""
    monkeypatch.setattr(fit_module, "STREAM_BYTES", 1)


def test_memmap_and_h5py_inputs_are_fitted_block_by_block(rng, tmp_path, small_blocks):
    data, truth = gaussian_rois(rng, 2_600, 9, 9)
    starts = truth * rng.uniform(0.9, 1.1, truth.shape)
    here = femtofit.fit(data, "gauss2d", backend="cpu", initial_parameters=starts)
    data.tofile(tmp_path / "rois.raw")
    mapped = np.memmap(tmp_path / "rois.raw", dtype=np.float32, mode="r", shape=(2_600, 9, 9))
    calls = []
    streamed = femtofit.fit(mapped, "gauss2d", backend="cpu", initial_parameters=starts,
                            progress=lambda done, total: calls.append((done, total)))
    np.testing.assert_array_equal(streamed.parameters, here.parameters)
    np.testing.assert_array_equal(streamed.states, here.states)
    assert calls[-1] == (2_600, 2_600) and len({done for done, _ in calls}) >= 3
    with h5py.File(tmp_path / "rois.h5", "w") as f:
        f["rois"] = data.reshape(2_600, 81)
        f["counts"] = data.astype(np.uint16)
    with h5py.File(tmp_path / "rois.h5", "r") as f:
        flat = femtofit.fit(f["rois"], "gauss2d", backend="cpu", roi_shape=(9, 9), initial_parameters=starts)
        counts = femtofit.fit(f["counts"], "gauss2d", backend="cpu", initial_parameters=starts)
    np.testing.assert_array_equal(flat.parameters, here.parameters)
    np.testing.assert_array_equal(counts.parameters, femtofit.fit(data.astype(np.uint16), "gauss2d", backend="cpu",
                                                                  initial_parameters=starts).parameters)


def test_cancelling_a_streamed_fit_keeps_the_blocks_done(rng, tmp_path, small_blocks):
    data, _ = gaussian_rois(rng, 3_000, 9, 9)
    data.tofile(tmp_path / "rois.raw")
    mapped = np.memmap(tmp_path / "rois.raw", dtype=np.float32, mode="r", shape=(3_000, 9, 9))
    with pytest.raises(femtofit.FitCancelled) as cancelled:
        femtofit.fit(mapped, "gauss2d", backend="cpu", progress=lambda done, total: done >= 1_500)
    results = cancelled.value.results
    assert len(results) == 3_000
    done = int(np.sum(results.states >= 0))
    assert 1_500 <= done < 3_000
    assert np.all(np.isnan(results.parameters[done:])) and np.all(results.states[done:] == -1)


def test_the_cli_refuses_hdf5_datasets_it_cannot_fit(tmp_path):
    """Complex numbers, strings, the wrong rank, a missing dataset, a truncated file: exit 2 with
    the file and the dataset named, and no fits.json left."""
    path = tmp_path / "odd.h5"
    with h5py.File(path, "w") as f:
        f["complex"] = np.zeros((4, 9, 9), dtype=np.complex64)
        f["strings"] = np.array([b"a", b"b"])
        f["flat"] = np.zeros(81, dtype=np.float32)
        f["frames"] = np.ones((4, 9, 9), dtype=np.float32)
    whole = path.read_bytes()
    (tmp_path / "cut.h5").write_bytes(whole[: len(whole) // 2])
    cli = built(".build/release/femtofit")
    cases = [(str(path) + ":/complex", ["odd.h5", "/complex", "compound"]),
             (str(path) + ":/strings", ["odd.h5", "/strings", "strings"]),
             (str(path) + ":/flat", ["odd.h5", "/flat", "rank 1"]),
             (str(path) + ":/missing", ["odd.h5", "no dataset /missing"]),
             (str(tmp_path / "cut.h5") + ":/frames", ["cut.h5"])]
    for name, fragments in cases:
        run = subprocess.run([cli, "fit", name, "-o", str(tmp_path / "out")], capture_output=True, text=True)
        assert run.returncode == 2, (name, run.stderr)
        for fragment in fragments:
            assert fragment in run.stderr, (name, fragment, run.stderr)
        assert not (tmp_path / "out" / "fits.json").exists()
