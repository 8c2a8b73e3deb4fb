from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def encoder():
    """The real default encoder, loaded once per session (it is fast enough to test ranking quality with)."""
    from sellglobal.models.encoders import get_encoder

    return get_encoder()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    # Never write into the developer's real cache from tests.
    monkeypatch.setenv("SELLGLOBAL_CACHE_DIR", str(tmp_path / "cache"))
