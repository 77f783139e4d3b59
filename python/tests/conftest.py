"""pytest setup: the package under test is the one on PYTHONPATH (CMake's
build/python for `make check`, or an installed one)."""
import os

import pytest


@pytest.fixture
def cli():
    """The mimic command of the build (ctest sets MIMIC_CLI)."""
    path = os.environ.get("MIMIC_CLI")
    if not path or not os.path.exists(path):
        pytest.skip("MIMIC_CLI is not set (run through ctest)")
    return path
