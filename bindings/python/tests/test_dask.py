"""femtofit.dask on a local cluster of two worker processes, reading raw ROI files on the workers."""
import pickle

import numpy as np
import pytest
import dask.array as da
from dask.distributed import Client, LocalCluster

import femtofit
import femtofit.dask as ffd
from conftest import gaussian_rois


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c


def write_files(rng, folder, counts, shape=(9, 11)):
    paths, parts = [], []
    for k, n in enumerate(counts):
        data, _ = gaussian_rois(rng, n, *shape)
        path = folder / ("rois-%d.raw" % k)
        data.tofile(path)
        paths.append(path)
        parts.append(data)
    return paths, np.concatenate(parts)


def test_fits_blocks_on_the_workers_in_order(client, rng, tmp_path):
    paths, everything = write_files(rng, tmp_path, [300, 17, 250, 120])
    rois = ffd.raw_rois(paths, roi_shape=(9, 11))
    assert rois.shape == (687, 9, 11) and rois.numblocks[0] == 4
    # The graph holds file names, not pixels: the blocks are read where they are fitted.
    assert len(pickle.dumps(dict(rois.__dask_graph__()))) < 20_000 < everything.nbytes
    result = ffd.fit(rois, "gauss2d", backend="cpu")
    here = femtofit.fit(everything, "gauss2d", backend="cpu", threads=1)
    np.testing.assert_array_equal(result.parameters, here.parameters)
    np.testing.assert_array_equal(result.states, here.states)
    np.testing.assert_array_equal(result.iterations, here.iterations)
    # Both workers took part.
    assert len(client.scheduler_info()["workers"]) == 2


def test_per_fit_start_values_weights_and_generated_blocks(client, rng):
    data, truth = gaussian_rois(rng, 400, 9, 9)
    array = da.from_array(data, chunks=(150, 9, 9))
    weights = da.from_array(1 / np.maximum(data, 1), chunks=(100, 9, 9))
    result = ffd.fit(array, "gauss2d", initial_parameters=truth, weights=weights, backend="cpu")
    here = femtofit.fit(data, "gauss2d", initial_parameters=truth, weights=1 / np.maximum(data, 1), backend="cpu")
    np.testing.assert_array_equal(result.parameters, here.parameters)
    lazy = ffd.fit(array, "gauss2d", compute=False)
    assert lazy.compute().parameters.shape == (400, 5)


def test_bad_files_and_arguments_are_named(client, rng, tmp_path):
    paths, _ = write_files(rng, tmp_path, [10, 10])
    with open(paths[1], "ab") as handle:
        handle.write(b"\0\0")
    with pytest.raises(ValueError, match="rois-1.raw"):
        ffd.raw_rois(paths, roi_shape=(9, 11))
    rois = ffd.raw_rois(paths[:1], roi_shape=(9, 11), rois_per_file=12)
    with pytest.raises(ValueError, match="rois-0.raw holds 10 ROIs, not the 12"):
        ffd.fit(rois, "gauss2d")
    with pytest.raises(TypeError, match="dask array"):
        ffd.fit(np.zeros((3, 9, 9)), "gauss2d")
    with pytest.raises(ValueError, match="unknown model"):
        ffd.fit(da.zeros((3, 9, 9), chunks=1), "nope")


def test_hdf5_rois_are_read_on_the_workers(client, rng, tmp_path):
    import h5py
    data, _ = gaussian_rois(rng, 900, 9, 11)
    with h5py.File(tmp_path / "rois.h5", "w") as f:
        f["frames"] = data
        f["flat"] = data.reshape(900, 99)
    stacked = ffd.hdf5_rois(tmp_path / "rois.h5", "/frames", rois_per_block=250)
    flat = ffd.hdf5_rois(tmp_path / "rois.h5", "/flat", roi_shape=(9, 11), rois_per_block=400)
    assert stacked.shape == (900, 9, 11) and stacked.numblocks[0] == 4
    assert len(pickle.dumps(dict(stacked.__dask_graph__()))) < 20_000 < data.nbytes
    here = femtofit.fit(data, "gauss2d", backend="cpu", threads=1)
    for rois in (stacked, flat):
        np.testing.assert_array_equal(ffd.fit(rois, "gauss2d", backend="cpu").parameters, here.parameters)
    with pytest.raises(ValueError, match="no dataset"):
        ffd.hdf5_rois(tmp_path / "rois.h5", "/missing")
    with pytest.raises(ValueError, match="roi_shape"):
        ffd.hdf5_rois(tmp_path / "rois.h5", "/flat", roi_shape=(5, 5))
