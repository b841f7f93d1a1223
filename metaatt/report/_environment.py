"""Software versions and input checksums, for reproducible appendices and lock files."""

from __future__ import annotations

import hashlib
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .._validate import check_path
from ..errors import MetaattError

__all__ = ["PACKAGES", "environment", "input_checksums", "sha256_file"]

#: packages whose versions an appendix records (read from metadata, never imported)
PACKAGES = ("numpy", "scipy", "pandas", "statsmodels", "matplotlib", "pymc", "arviz", "tqdm")


def environment() -> dict[str, str]:
    """metaatt, Python, platform and the versions of metaatt's dependencies."""
    from .. import __version__

    out = {
        "metaatt": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    path = check_path(path, "path")
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
    except OSError as err:
        raise MetaattError(f"path: cannot read {str(path)!r}: {err.strerror or err}") from None
    return digest.hexdigest()


def input_checksums(spec: Any) -> dict[str, dict[str, str]]:
    """Role -> {path, sha256} for the spec file and its data file."""
    out = {}
    for role, path in spec.input_files().items():
        out[role] = {"path": str(path), "sha256": sha256_file(path)}
    if spec.data.dataset is not None:
        out["dataset"] = {"path": f"metaatt.datasets.load_{spec.data.dataset}()", "sha256": ""}
    return out
