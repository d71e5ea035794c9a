"""Markers used by the core tests."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: an extra check against an optional outside reference library")
