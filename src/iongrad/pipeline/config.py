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

What resolving skips rather than refuses is said in ``notes`` (a list the caller
passes and prints): hidden and lock files in ``raw_dir`` (``._x.csv`` from macOS,
``.~lock.x.csv#`` from LibreOffice, ``~$x.csv`` from Excel), and names in
``validation.lenient_datasets`` that match no dataset (the shipped config names an
example dataset; running on one's own folder leaves every dataset strict, the safe
direction).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from iongrad import files
from iongrad.gate import readers
from iongrad.gate.headers import MappingError, read_columns
from iongrad.gate.readers import READ_KEYS, ReadOptions, hidden_file
from iongrad.tables.ljp import SolutionError, check_recording, parse_solutions

__all__ = [
    "DATASET_PATTERN",
    "TABLE_SUFFIXES",
    "ConfigError",
    "batches",
    "check_dataset_name",
    "dataset_settings",
    "discover_datasets",
    "ljp_settings",
    "load",
    "read_settings",
    "resolve",
    "resolved_sha256",
    "resolved_text",
    "schema",
    "schema_path",
    "sheet_datasets",
    "sheet_name_part",
    "write_resolved",
]

#: Dataset names become file names and Snakemake wildcards: letters, digits, '_' and
#: '-', not starting with '-' (``reports/--help.html`` reads as an option on a
#: command line).
DATASET_WILDCARD = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
DATASET_PATTERN = rf"^{DATASET_WILDCARD}$"
#: Names a dataset may not take: their report would overwrite the index report.
RESERVED_DATASET_NAMES = frozenset({"index"})
#: File name suffixes discovered as input tables in ``raw_dir``: those the gate reads.
TABLE_SUFFIXES = tuple(sorted(readers.TABLE_SUFFIXES))


class ConfigError(ValueError):
    """A configuration that does not satisfy the schema or names unusable datasets."""


def _name_rule(name: str) -> str | None:
    """The rule a dataset name breaks, in words, or None when it is a usable name."""
    if name.startswith("-"):
        return (
            "starts with '-'; a dataset name must start with a letter, a digit or "
            "'_' (it becomes a file name, and a name starting with '-' reads as an "
            "option on a command line)"
        )
    if not re.match(DATASET_PATTERN, name):
        return (
            f"may only contain letters, digits, '_' and '-' (pattern {DATASET_PATTERN})"
        )
    if name in RESERVED_DATASET_NAMES:
        return "is reserved (reports/index.html is the cross-dataset report)"
    return None


def check_dataset_name(name: str, where: str, cure: str = "rename it") -> None:
    """Raise :class:`ConfigError` unless ``name`` may name a dataset.

    ``where`` says where the name came from (the file, or the config key), so the
    message names it with the rule, then ``cure``.

    >>> check_dataset_name("squid_2024", "data/raw/squid_2024.csv")
    >>> try:
    ...     check_dataset_name("--help", "data/raw/--help.csv")
    ... except ConfigError as err:
    ...     print(str(err).split(";")[0])
    data/raw/--help.csv: the dataset name '--help' starts with '-'
    """
    rule = _name_rule(name)
    if rule is not None:
        raise ConfigError(f"{where}: the dataset name {name!r} {rule}: {cure}")


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
            message = err.message
            if err.validator == "pattern" and err.validator_value == DATASET_PATTERN:
                # The rule in words, as for a discovered file's name.
                message = f"the dataset name {err.instance!r} "
                message += str(_name_rule(str(err.instance)))
            message += _closest(err)
            lines.append(f"  config key {where}: {message}")
        raise ConfigError(
            f"config does not match {schema_path().name} "
            f"({len(errors)} error(s)):\n" + "\n".join(lines)
        )


def _closest(err) -> str:
    """``; did you mean X?`` for a misspelt name the schema lists (an enum value,
    a key), else nothing."""
    if err.validator == "enum":
        word, known = err.instance, err.validator_value
    elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = list(err.schema.get("properties", {}))
        word = next((k for k in err.instance if k not in known), None)
    else:
        return ""
    close = difflib.get_close_matches(str(word), [str(k) for k in known], n=3)
    return f"; did you mean {' or '.join(close)}?" if close else ""


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


def _table_like(name: str) -> bool:
    """A name that, but for its lock mark, would be an input table."""
    return name.lower().rstrip("#~").endswith(TABLE_SUFFIXES)


def discover_datasets(
    raw_dir: str | Path, notes: list[str] | None = None
) -> dict[str, str]:
    """Map dataset name (file stem) -> path for every table in ``raw_dir``.

    Hidden and lock files (names starting with '.' or '~$') are skipped; those that
    look like tables are named in one line appended to ``notes``.

    Raises
    ------
    ConfigError
        When a stem is not a valid dataset name or two files share a stem.
    """
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise ConfigError(f"raw_dir {str(raw)!r} is not a directory")
    found: dict[str, str] = {}
    skipped: list[str] = []
    for path in sorted(raw.iterdir()):
        if hidden_file(path.name):
            if _table_like(path.name):
                skipped.append(path.name)
            continue
        if path.suffix.lower() not in TABLE_SUFFIXES or not path.is_file():
            continue
        name = path.stem
        cure = "rename the file, or list it under `datasets` with another name"
        check_dataset_name(name, str(path), cure)
        if name in found:
            raise ConfigError(
                f"{path} and {found[name]} give the same dataset name {name!r}"
            )
        found[name] = path.as_posix()
    if skipped and notes is not None:
        notes.append(
            f"raw_dir {raw.as_posix()}: skipped {len(skipped)} hidden or lock "
            f"file(s) (names starting with '.' or '~$', left by macOS, LibreOffice "
            f"or Excel): {', '.join(skipped)}"
        )
    return found


def sheet_name_part(sheet: str) -> str:
    """A sheet's name as part of a dataset name: every character other than a
    letter, digit, '_' or '-' written '_'.

    >>> sheet_name_part("Run 1 (37°C)")
    'Run_1__37_C_'
    """
    return re.sub(r"[^A-Za-z0-9_-]", "_", sheet)


def sheet_datasets(datasets: dict[str, dict]) -> dict[str, dict]:
    """``datasets`` with each entry that has ``sheets`` replaced by one dataset per
    sheet, ``<name>__<sheet>`` (:func:`sheet_name_part`), reading that ``sheet``.

    ``sheets: all`` takes every sheet holding data, in tab order; a list names them.

    Raises
    ------
    ConfigError
        ``sheet`` and ``sheets`` together, an unreadable workbook, a sheet it does
        not have, or two sheets (or a sheet and a listed dataset) giving one name.
    """
    from iongrad.gate.failures import IngestError
    from iongrad.gate.sheets import sheet_names

    out: dict[str, dict] = {}
    for name, settings in datasets.items():
        wanted = settings.get("sheets")
        if wanted is None:
            out[name] = settings
            continue
        where = f"config key datasets/{name}/sheets"
        if settings.get("sheet") is not None:
            raise ConfigError(
                f"{where}: give `sheet` (one sheet) or `sheets`, not both"
            )
        try:
            have = sheet_names(settings["path"], with_data=wanted == "all")
        except IngestError as err:
            raise ConfigError(f"{where}: {err}") from None
        missing = [s for s in (have if wanted == "all" else wanted) if s not in have]
        if missing:
            raise ConfigError(
                f"{where}: {settings['path']} has no sheet {missing[0]!r}; its "
                f"sheets are {', '.join(repr(s) for s in have)}"
            )
        given: dict[str, str] = {}
        for sheet in have if wanted == "all" else wanted:
            full = f"{name}__{sheet_name_part(sheet)}"
            if full in given or full in datasets:
                first = given.get(full, f"the dataset {full!r}")
                raise ConfigError(
                    f"{where}: sheets {first!r} and {sheet!r} both give the "
                    f"dataset name {full!r}; rename one of the sheets"
                )
            check_dataset_name(full, where)
            given[full] = sheet
            entry = {k: v for k, v in settings.items() if k != "sheets"}
            out[full] = {**entry, "sheet": sheet}
    return out


def resolve(
    config: Mapping[str, Any] | None, notes: list[str] | None = None
) -> dict[str, Any]:
    """Validate a config and return it with every default filled in and sorted.

    Parameters
    ----------
    config : mapping or None
        The config as loaded (Snakemake's ``config`` object or :func:`load`).
    notes : list, optional
        Receives one line per thing skipped rather than refused: hidden or lock
        files in ``raw_dir``, names in ``validation.lenient_datasets`` that match no
        dataset (those names are ignored: every dataset they do not name stays
        strict).

    Returns
    -------
    dict
        Key-sorted config with all defaults explicit and ``datasets`` explicit:
        ``{name: {"path": ..., "validation_mode": "strict"|"lenient"}}``.

    Raises
    ------
    ConfigError
        Schema violations (all at once, each naming its key; a key left empty, i.e.
        null, means its default), a dataset name that cannot name files (see
        :func:`check_dataset_name`), or no dataset at all.

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
        for name in datasets:
            check_dataset_name(name, f"config key datasets/{name}")
        datasets = sheet_datasets(datasets)
    else:
        found = discover_datasets(cfg["raw_dir"], notes)
        datasets = {name: {"path": path} for name, path in found.items()}
    if not datasets:
        raise ConfigError(
            f"no datasets: list them under `datasets` or put tables in "
            f"{cfg['raw_dir']!r}"
        )
    for name, settings in datasets.items():
        try:
            ReadOptions.from_settings(settings)
        except ValueError as err:  # what the schema cannot say (units below header)
            raise ConfigError(f"config key datasets/{name}: {err}") from None
    _merge_columns(cfg.get("columns"), datasets)
    lenient = set(cfg["validation"]["lenient_datasets"])
    unknown = sorted(lenient - set(datasets))
    if unknown and notes is not None:
        notes.append(
            f"config key validation/lenient_datasets names {unknown}, which match "
            "no dataset of this run: ignored (every other dataset is validated "
            f"in {cfg['validation']['mode']} mode)"
        )
    for name, settings in datasets.items():
        if settings.get("validation_mode") is None:
            settings["validation_mode"] = (
                "lenient" if name in lenient else cfg["validation"]["mode"]
            )
    cfg["datasets"] = datasets
    _check_recordings(cfg)
    return _sorted(cfg)


def _merge_columns(default: Mapping[str, Any] | None, datasets: dict) -> None:
    """Check every ``columns`` mapping and put the top-level one under each
    dataset's own (its entries ``required: false``: not every file has them).

    Raises
    ------
    ConfigError
        Naming every unusable entry by its config key, with the closest column,
        ion or side (:func:`iongrad.gate.headers.read_columns`).
    """
    lines = []
    given = {"columns": default, **{f"datasets/{n}/columns": s.get("columns")
                                   for n, s in datasets.items()}}  # fmt: skip
    for key, mapping in given.items():
        try:
            read_columns(mapping)
        except MappingError as err:
            lines += [f"  config key {key}/{h}: {what}" for h, what in err.problems]
    if lines:
        raise ConfigError(
            f"config columns that cannot be used ({len(lines)}):\n" + "\n".join(lines)
        )
    if not default:
        return
    shared = {
        header: entry if entry == "ignore" else {"required": False, **entry}
        for header, entry in default.items()
    }
    for settings in datasets.values():
        settings["columns"] = {**shared, **(settings.get("columns") or {})}


def _check_recordings(cfg: Mapping[str, Any]) -> None:
    """Every solution parses and every recording names configured solutions that
    give a junction potential (what the schema cannot say)."""
    for name, text in cfg["solutions"].items():
        try:
            parse_solutions({name: text})
        except SolutionError as err:
            raise ConfigError(f"config key solutions/{name}: {err}") from None
    where = {"recording": cfg["recording"]}
    for name, entry in cfg["datasets"].items():
        if entry.get("recording"):
            where[f"datasets/{name}/recording"] = ljp_settings(cfg, name)["recording"]
    for key, recording in where.items():
        try:
            check_recording(recording, cfg["solutions"], f"config key {key}")
        except SolutionError as err:
            raise ConfigError(str(err)) from None


def ljp_settings(cfg: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """``{"solutions": ..., "recording": ...}`` of one dataset: the dataset's own
    ``recording`` keys over the top-level ones (for
    :func:`iongrad.tables.potentials.compute_potentials`)."""
    own = cfg["datasets"][dataset].get("recording") or {}
    recording = {**cfg["recording"], **own}
    return _sorted({"solutions": dict(cfg["solutions"]), "recording": recording})


def dataset_settings(cfg: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The part of a resolved config that one dataset's results depend on.

    This is what its provenance records and what its report shows: the dataset's own
    entry plus the model settings (other datasets' entries are left out so that
    editing one dataset never reruns another).
    """
    keys = ("activity", "donnan", "driving_force", "ghk", "temperatures_C")
    out = {k: cfg[k] for k in keys}
    out.update(ljp_settings(cfg, dataset))  # solutions, and this dataset's recording
    out["dataset"] = {"name": dataset, **cfg["datasets"][dataset]}
    return _sorted(out)


def read_settings(cfg: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The keys of a dataset's entry that say how its file is read (sorted).

    They become :class:`iongrad.gate.readers.ReadOptions` in the validation job.

    >>> cfg = {"datasets": {"a": {"path": "a.xlsx", "sheet": "Run 1"}}}
    >>> read_settings(cfg, "a")
    {'sheet': 'Run 1'}
    """
    entry = cfg["datasets"][dataset]
    out = {k: entry[k] for k in READ_KEYS if entry.get(k) is not None}
    if "solutions" in cfg:  # the names a table's solution columns may use
        out["solution_names"] = sorted(cfg["solutions"])
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
    split = [n for n in names if _partitions(cfg["datasets"][n]) > 1]
    if split:
        # A batch job computes its datasets one after the other in one job, the
        # opposite of spreading one dataset over several.
        raise ConfigError(
            f"config key batch_size is {size}, but datasets {split} set "
            "`partitions`: partitioned datasets need batch_size 1"
        )
    chunks = [names[i : i + size] for i in range(0, len(names), size)]
    width = max(3, len(str(len(chunks))))
    return {f"batch{i + 1:0{width}d}": chunk for i, chunk in enumerate(chunks)}


def _partitions(entry: Any) -> int:
    """``partitions`` of a dataset entry (a name -> path mapping has none)."""
    return int(entry.get("partitions", 1)) if isinstance(entry, Mapping) else 1


def resolved_text(cfg: Mapping[str, Any]) -> str:
    """The resolved config as the YAML text of ``results/config.resolved.yaml``."""
    return yaml.safe_dump(dict(cfg), sort_keys=True, default_flow_style=False)


def resolved_sha256(cfg: Mapping[str, Any]) -> str:
    """SHA-256 of :func:`resolved_text`: a short param that changes with the config."""
    return hashlib.sha256(resolved_text(cfg).encode("utf-8")).hexdigest()


def write_resolved(cfg: Mapping[str, Any], path: str | Path) -> bool:
    """Write the resolved config as YAML unless the file already holds it.

    Returns True when the file was (re)written. Leaving an identical file untouched
    keeps its modification time, so nothing downstream sees a change.

    Raises
    ------
    OSError
        Naming ``path`` (not the temporary file beside it) when it cannot be
        written, e.g. a read-only ``results/``.
    """
    text = resolved_text(cfg)
    path = Path(path)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    try:
        # Atomic: written under a temporary name beside it, then renamed.
        files.write_text(path, text)
    except OSError as exc:
        raise OSError(
            exc.errno,
            f"cannot write {path.as_posix()}: {exc.strerror} (its folder "
            f"{path.parent.as_posix()}/ must be writable)",
        ) from None
    return True
