"""How many examples a property test with its own ``max_examples`` runs (see tests/conftest.py).

``examples(n)``: ``n`` under the "ci" profile (.ci/run's second pass), a tenth (at least 2)
under "dev" (the default run), so the default run stays short while CI tests at full size.
"""

from __future__ import annotations

from hypothesis import settings


def examples(n: int) -> int:
    return n if settings.default.max_examples >= 1000 else max(2, n // 10)
