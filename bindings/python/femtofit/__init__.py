"""femtofit: batched Levenberg-Marquardt fitting for transient absorption microscopy.

    import numpy as np, femtofit
    result = femtofit.fit(rois, "gauss2d")          # rois: (n_fits, height, width)
    result.parameters, result.standard_errors, result.states, result.chi_squares, result.iterations

`femtofit.Model` defines a model at run time from an expression (docs/models.md); pass it as
`model=` wherever a model name goes. `femtofit.dask` fits dask arrays of ROIs block by block on a Dask cluster; `femtofit.read_fits`
reads the fits.h5 that `femtofit fit` writes.
"""
from ._fit import (FemtofitError, FitCancelled, FitResult, STATES, context, fit, model_names,
                   parameter_names)
from ._files import Fits, read_fits
from ._model import Model
from ._native import NativeLibraryError


def version():
    """The version of the loaded C library."""
    from . import _native
    return _native.load().femtofit_version().decode()


__all__ = ["fit", "read_fits", "Fits", "FitResult", "Model", "FemtofitError", "FitCancelled", "NativeLibraryError", "STATES", "context",
           "model_names", "parameter_names", "version"]
