"""pysnop.core.graph.connected_components: by hand, and against scipy's on random graphs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as scipy_components

from pysnop.core.graph import connected_components


def test_by_hand():
    # nodes 0..6; edges 4–1, 1–5, 6–3: components {0}, {1,4,5}, {2}, {3,6}, numbered by their
    # lowest node: 0 → 0, 1 → 1, 2 → 2, 3 → 3
    got = connected_components(np.array([4, 1, 6]), np.array([1, 5, 3]), 7)
    assert got.tolist() == [0, 1, 2, 3, 1, 1, 3]


def test_no_edges_and_a_long_chain():
    assert connected_components(np.zeros(0, int), np.zeros(0, int), 3).tolist() == [0, 1, 2]
    # a chain 9–8–…–0 given from the far end: one component
    a = np.arange(9, 0, -1)
    assert connected_components(a, a - 1, 10).tolist() == [0] * 10


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 40), data=st.data())
def test_same_as_scipy(n, data):
    m = data.draw(st.integers(0, 3 * n))
    a = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=int)
    b = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=int)
    graph = coo_matrix((np.ones(m), (a, b)), shape=(n, n))
    expected = scipy_components(graph, directed=False)[1]
    assert connected_components(a, b, n).tolist() == expected.tolist()
