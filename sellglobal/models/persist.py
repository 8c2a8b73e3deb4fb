"""A model is a folder: config.json, the estimator saved with skops, an optional encoder/ folder, a README.md card.

Loading never unpickles: skops rebuilds only the types in ``TRUSTED``, and the estimator file must have the
SHA-256 that config.json recorded, so a file modified after training is refused.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import jinja2

from ..errors import ModelError
from ..selection.tables import atomic_write
from .ranker import FEATURES

FORMAT_VERSION = 1
ESTIMATOR_FILE = "ranker.skops"
# The only types a model file may contain besides what skops trusts by default (numpy arrays, builtins, ...).
TRUSTED = [
    "sellglobal.models.ranker.PairwiseRanker",
    "sellglobal.models.ranker.DefaultRanker",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.preprocessing._data.StandardScaler",
]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Model:
    """A loaded model: the estimator, its config, and the folder of its fine-tuned encoder if it has one."""

    estimator: object
    config: dict
    path: Path

    @property
    def encoder_path(self) -> Path | None:
        enc = self.path / "encoder"
        return enc if enc.is_dir() else None


def save_model(directory: str | os.PathLike, estimator, *, metrics: dict, data_hash: str, training: dict) -> Path:
    """Write a model folder (created if needed; an existing model in it is replaced file by file, atomically)."""
    import skops.io as sio

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / ESTIMATOR_FILE, "wb") as fh:
        fh.write(sio.dumps(estimator))
    config = {
        "format_version": FORMAT_VERSION,
        "estimator": f"{type(estimator).__module__}.{type(estimator).__name__}",
        "params": {k: v for k, v in estimator.get_params().items() if isinstance(v, (int, float, str, bool, type(None)))},
        "features": FEATURES,
        "estimator_file": ESTIMATOR_FILE,
        "estimator_sha256": _sha256(out / ESTIMATOR_FILE),
        "versions": {p: _version(p) for p in ("sellglobal", "scikit-learn", "numpy", "sentence-transformers",
                                               "skops")} | {"python": platform.python_version()},
        "training_data_sha256": data_hash,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training": training,
        "metrics": metrics,
        "encoder": "encoder" if (out / "encoder").is_dir() else None,
    }
    with atomic_write(out / "config.json") as fh:
        json.dump(config, fh, indent=2, ensure_ascii=False)
    card = jinja2.Environment(loader=jinja2.PackageLoader("sellglobal", "templates"), autoescape=False,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    with atomic_write(out / "README.md") as fh:
        fh.write(card.get_template("model/card.md.j2").render(config=config, coef=_coefficients(estimator)))
    return out


def _coefficients(estimator) -> list[tuple[str, float]]:
    from .ranker import RANKING_INPUTS, PairwiseRanker

    if isinstance(estimator, PairwiseRanker):
        return list(zip(RANKING_INPUTS, [float(c) for c in estimator.coef_]))
    return []


def load_model(directory: str | os.PathLike) -> Model:
    """Load a model folder, refusing an unknown format, a modified estimator file or an untrusted type."""
    import skops.io as sio

    path = Path(directory)
    cfg_path = path / "config.json"
    if not cfg_path.is_file():
        raise ModelError(f"{path}: not a sellglobal model folder (no config.json); train one with sellglobal train")
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{cfg_path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(f"{cfg_path}: format_version {version!r} is not one this sellglobal reads "
                         f"({FORMAT_VERSION}); retrain the model or install the sellglobal that wrote it")
    est_path = path / config.get("estimator_file", ESTIMATOR_FILE)
    if not est_path.is_file():
        raise ModelError(f"{est_path}: missing")
    if _sha256(est_path) != config.get("estimator_sha256"):
        raise ModelError(f"{est_path}: the file was modified after training (SHA-256 differs from config.json); "
                         "refusing to load it")
    try:
        untrusted = [t for t in sio.get_untrusted_types(file=est_path) if t not in TRUSTED]
    except Exception as exc:  # noqa: BLE001 - a file skops cannot parse is not a model
        raise ModelError(f"{est_path}: not a skops file ({exc})") from None
    if untrusted:
        raise ModelError(f"{est_path}: contains types sellglobal does not trust: {', '.join(untrusted)}")
    estimator = sio.load(est_path, trusted=TRUSTED)
    return Model(estimator=estimator, config=config, path=path)


def list_models(directory: str | os.PathLike) -> list[dict]:
    """Every model folder under ``directory`` (itself included), with its creation date and metrics."""
    root = Path(directory)
    found = []
    for cfg in sorted([root / "config.json", *root.glob("*/config.json")]):
        if cfg.is_file():
            try:
                config = json.loads(cfg.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                continue
            found.append({"path": str(cfg.parent), "created": config.get("created"),
                          "estimator": config.get("estimator"), "metrics": config.get("metrics", {}),
                          "encoder": bool(config.get("encoder"))})
    return found
