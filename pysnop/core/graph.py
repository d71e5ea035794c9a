"""Connected components of an undirected graph given as edge arrays.

scipy.sparse.csgraph.connected_components does this, but importing scipy.sparse costs a fresh
``pysnop recalc`` 0.3–0.7 s (it loads scipy.sparse.linalg and more), which the default run
would pay for grouping a handful of risks into decisions; this is the same answer from numpy
alone (tests/core/test_graph.py checks it against scipy on random graphs).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]


def connected_components(a: Ints, b: Ints, n: int) -> Ints:
    """The component of each of ``n`` nodes joined by edges ``a[k]``–``b[k]``, numbered as
    scipy numbers them: in order of each component's lowest node.

    Every node points at a node of its component no higher than itself; each round hooks the
    root of an edge's higher end onto the lower root, then jumps pointers until every node
    points at its root; it stops when no edge joins two roots (a few rounds: each at least
    halves the number of roots an edge can still join)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    label = np.arange(n, dtype=np.int64)
    while len(a):
        ra, rb = label[a], label[b]
        differ = ra != rb
        if not differ.any():
            break
        ra, rb = ra[differ], rb[differ]
        low = np.minimum(ra, rb)
        np.minimum.at(label, np.maximum(ra, rb), low)
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
    return np.unique(label, return_inverse=True)[1].reshape(-1).astype(np.int64)
