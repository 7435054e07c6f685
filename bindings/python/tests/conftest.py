"""Shared fixtures: fresh random seeds (printed, replayable with FEMTOFIT_TEST_SEED) and the
paths of the built library and CLI in the checkout."""
import os
import random

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture
def rng(request):
    seed = int(os.environ.get("FEMTOFIT_TEST_SEED", random.SystemRandom().randrange(1, 2**63)))
    request.node.user_properties.append(("seed", seed))
    print("seed", seed)
    return np.random.default_rng(seed)


def gaussian_rois(rng, n, height, width, counts=True):
    """Poisson (or dT/T-like Gaussian-noise) 2D Gaussians with their true parameters."""
    y, x = np.mgrid[0:height, 0:width]
    truth = np.column_stack([rng.uniform(500, 1000, n), (width - 1) / 2 + rng.uniform(-1, 1, n),
                             (height - 1) / 2 + rng.uniform(-1, 1, n), rng.uniform(1.5, 2.5, n),
                             rng.uniform(10, 100, n)])
    a, x0, y0, s, b = (truth[:, j, None, None] for j in range(5))
    model = a * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * s ** 2)) + b
    data = rng.poisson(model) if counts else model + rng.normal(0, 5, model.shape)
    return data.astype(np.float32), truth


def built(relative):
    path = os.path.join(ROOT, relative)
    if not os.path.exists(path):
        pytest.fail("%s is missing: build with `swift build -c release` (scripts/test does)" % path)
    return path
