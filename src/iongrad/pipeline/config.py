"""Workflow configuration: load, validate against the JSON Schema, resolve defaults.

The workflow never relies on a validation side effect to fill defaults (Snakemake's
remote jobs do not re-apply schema defaults, snakemake#3614): :func:`resolve` validates
``config/config.yaml`` against ``schemas/config.schema.yaml`` (JSON Schema draft
2020-12, every error reported at once) and then fills every default explicitly, in
this module, from the schema's own ``default`` values. It also turns dataset
discovery (every table in ``raw_dir``) into an explicit, sorted ``datasets`` mapping,
so the resolved config names every dataset, its file and its validation mode.

All mappings in the resolved config are key-sorted, so the parameters the workflow
derives from it are canonical: the same settings always give the same params and
Snakemake's params trigger reruns only when a value really changed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from iongrad import files

__all__ = [
    "DATASET_PATTERN",
    "TABLE_SUFFIXES",
    "ConfigError",
    "batches",
    "dataset_settings",
    "discover_datasets",
    "load",
    "resolve",
    "schema",
    "schema_path",
    "write_resolved",
]

#: Dataset names become file names and Snakemake wildcards.
DATASET_PATTERN = r"^[A-Za-z0-9_-]+$"
#: Names a dataset may not take: their report would overwrite the index report.
RESERVED_DATASET_NAMES = frozenset({"index"})
#: File name suffixes discovered as input tables in ``raw_dir``.
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet")


class ConfigError(ValueError):
    """A configuration that does not satisfy the schema or names unusable datasets."""


def schema_path() -> Path:
    """Path of the config JSON Schema shipped as package data (checkout or wheel)."""
    return Path(str(resources.files("iongrad") / "schemas" / "config.schema.yaml"))


@cache
def schema() -> dict[str, Any]:
    """The config JSON Schema (draft 2020-12) as a dict."""
    with open(schema_path(), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file (an empty file is an empty config)."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping, got {type(data)}")
    return data


def _validate(config: Mapping[str, Any]) -> None:
    import jsonschema

    sch = schema()
    validator = jsonschema.Draft202012Validator(sch)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.path))
    if errors:
        lines = []
        for err in errors:
            where = "/".join(str(p) for p in err.path) or "<top level>"
            lines.append(f"  config key {where}: {err.message}")
        raise ConfigError(
            f"config does not match {schema_path().name} "
            f"({len(errors)} error(s)):\n" + "\n".join(lines)
        )


def _fill_defaults(value: Any, node: Mapping[str, Any]) -> Any:
    """Return ``value`` with every missing key filled from the schema ``node``."""
    if node.get("type") == "object" and isinstance(value, Mapping):
        out = dict(value)
        for key, sub in node.get("properties", {}).items():
            if key not in out or out[key] is None:
                if "default" not in sub:
                    continue
                out[key] = copy.deepcopy(sub["default"])
            out[key] = _fill_defaults(out[key], sub)
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping):
            for key in out:
                if key not in node.get("properties", {}):
                    out[key] = _fill_defaults(out[key], extra)
        return out
    return value


def _drop_nulls(value: Any) -> Any:
    """Remove keys whose value is None (an empty YAML key means "use the default")."""
    if isinstance(value, Mapping):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value


def _sorted(value: Any) -> Any:
    """Recursively key-sorted copy (canonical params for Snakemake)."""
    if isinstance(value, Mapping):
        return {str(k): _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_sorted(v) for v in value]
    return value


def discover_datasets(raw_dir: str | Path) -> dict[str, str]:
    """Map dataset name (file stem) -> path for every table in ``raw_dir``.

    Raises
    ------
    ConfigError
        When a stem is not a valid dataset name or two files share a stem.
    """
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise ConfigError(f"raw_dir {str(raw)!r} is not a directory")
    found: dict[str, str] = {}
    for path in sorted(raw.iterdir()):
        if path.suffix.lower() not in TABLE_SUFFIXES or not path.is_file():
            continue
        name = path.stem
        if not re.match(DATASET_PATTERN, name):
            raise ConfigError(
                f"{path}: the file stem {name!r} is not a valid dataset name "
                f"(pattern {DATASET_PATTERN}); rename the file or list it under "
                "`datasets` with a valid name"
            )
        if name in found:
            raise ConfigError(
                f"{path} and {found[name]} give the same dataset name {name!r}"
            )
        found[name] = path.as_posix()
    return found


def resolve(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a config and return it with every default filled in and sorted.

    Parameters
    ----------
    config : mapping or None
        The config as loaded (Snakemake's ``config`` object or :func:`load`).

    Returns
    -------
    dict
        Key-sorted config with all defaults explicit and ``datasets`` explicit:
        ``{name: {"path": ..., "validation_mode": "strict"|"lenient"}}``.

    Raises
    ------
    ConfigError
        Schema violations (all at once, each naming its key; a key left empty, i.e.
        null, means its default), an unknown dataset in
        ``validation.lenient_datasets``, or no dataset at all.

    Examples
    --------
    >>> cfg = resolve({"datasets": {"a": {"path": "a.csv"}}})
    >>> cfg["activity"]["model"], cfg["datasets"]["a"]["validation_mode"]
    ('truesdell-jones', 'strict')
    """
    raw_config = _drop_nulls(copy.deepcopy(dict(config or {})))
    _validate(raw_config)
    cfg = _fill_defaults(raw_config, schema())
    if cfg["datasets"]:
        datasets = {k: dict(v) for k, v in cfg["datasets"].items()}
    else:
        found = discover_datasets(cfg["raw_dir"])
        datasets = {name: {"path": path} for name, path in found.items()}
    if not datasets:
        raise ConfigError(
            f"no datasets: list them under `datasets` or put tables in "
            f"{cfg['raw_dir']!r}"
        )
    reserved = sorted(set(datasets) & RESERVED_DATASET_NAMES)
    if reserved:
        raise ConfigError(
            f"dataset name(s) {reserved} are reserved (reports/index.html is the "
            "cross-dataset report); rename the file or the `datasets` key"
        )
    lenient = set(cfg["validation"]["lenient_datasets"])
    unknown = sorted(lenient - set(datasets))
    if unknown:
        raise ConfigError(
            f"config key validation/lenient_datasets names unknown datasets: {unknown}"
        )
    for name, settings in datasets.items():
        if settings.get("validation_mode") is None:
            settings["validation_mode"] = (
                "lenient" if name in lenient else cfg["validation"]["mode"]
            )
    cfg["datasets"] = datasets
    return _sorted(cfg)


def dataset_settings(cfg: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The part of a resolved config that one dataset's results depend on.

    This is what its provenance records and what its report shows: the dataset's own
    entry plus the model settings (other datasets' entries are left out so that
    editing one dataset never reruns another).
    """
    keys = ("activity", "donnan", "driving_force", "ghk", "temperatures_C")
    out = {k: cfg[k] for k in keys}
    out["dataset"] = {"name": dataset, **cfg["datasets"][dataset]}
    return _sorted(out)


def batches(cfg: Mapping[str, Any]) -> dict[str, list[str]]:
    """Datasets grouped into the workflow's batches, ``batch_size`` per batch.

    Datasets are taken in sorted name order, so a batch's members follow from the
    names alone (no hashing, no state): adding ``zz_new`` only touches the last
    batch, adding a name in the middle shifts the batches after it. Batch names are
    ``batch001``, ``batch002``, ... (zero-padded to at least three digits). With
    ``batch_size`` 1 every dataset is its own batch, named after the dataset.

    Examples
    --------
    >>> cfg = {"batch_size": 2, "datasets": {"c": {}, "a": {}, "b": {}}}
    >>> batches(cfg)
    {'batch001': ['a', 'b'], 'batch002': ['c']}
    >>> batches({**cfg, "batch_size": 1})
    {'a': ['a'], 'b': ['b'], 'c': ['c']}
    """
    names = sorted(cfg["datasets"])
    size = int(cfg.get("batch_size", 1))
    if size < 1:
        raise ConfigError(f"config key batch_size must be >= 1, got {size}")
    if size == 1:
        return {name: [name] for name in names}
    chunks = [names[i : i + size] for i in range(0, len(names), size)]
    width = max(3, len(str(len(chunks))))
    return {f"batch{i + 1:0{width}d}": chunk for i, chunk in enumerate(chunks)}


def write_resolved(cfg: Mapping[str, Any], path: str | Path) -> bool:
    """Write the resolved config as YAML unless the file already holds it.

    Returns True when the file was (re)written. Leaving an identical file untouched
    keeps its modification time, so nothing downstream sees a change.
    """
    text = yaml.safe_dump(dict(cfg), sort_keys=True, default_flow_style=False)
    path = Path(path)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    # Atomic: every SLURM job parses the Snakefile and may get here at the same time;
    # each writes the same text under its own temporary name, then renames it.
    files.write_text(path, text)
    return True
