"""iongrad.pipeline.config: schema validation, explicit defaults, dataset discovery."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from iongrad.pipeline import config as cfgmod

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"


def _walk(node, path="$"):
    """Yield (path, node) for every schema node that describes a value."""
    yield path, node
    for key, sub in node.get("properties", {}).items():
        yield from _walk(sub, f"{path}.{key}")
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        yield from _walk(extra, f"{path}.*")
    if isinstance(node.get("items"), dict):
        yield from _walk(node["items"], f"{path}[]")


def test_schema_is_draft_2020_12_with_descriptions_and_closed_objects():
    schema = cfgmod.schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for path, node in _walk(schema):
        assert node.get("description"), f"{path} has no description"
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, path


def test_model_names_are_enums_shared_with_the_activity_module():
    props = cfgmod.schema()["properties"]
    models = props["activity"]["properties"]["model"]["enum"]
    assert "truesdell-jones" in models
    assert props["donnan"]["properties"]["activity_model"]["enum"] == models


def test_repository_config_resolves_with_every_example_dataset():
    cfg = cfgmod.resolve(cfgmod.load(REPO_CONFIG))
    assert set(cfg["datasets"]) >= {
        "squid_giant_axon",
        "frog_skeletal_muscle",
        "mammalian_neuron",
        "mammalian_skeletal_muscle",
        "cardiac_ventricular_myocyte",
        "human_red_blood_cell",
        "plant_nitella_translucens",
    }
    assert cfg["datasets"]["human_red_blood_cell"]["validation_mode"] == "lenient"
    assert cfg["datasets"]["squid_giant_axon"]["validation_mode"] == "strict"


def test_defaults_are_filled_explicitly_not_by_validation(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.csv").write_text("x\n")
    cfg = cfgmod.resolve({"raw_dir": str(raw)})
    assert cfg["activity"] == {
        "convention": "macinnes",
        "model": "truesdell-jones",
        "params": {},
    }
    assert cfg["temperatures_C"] == [20, 25, 37]
    assert cfg["ghk"]["default_permeability"] == {"Cl-": 0.45, "K+": 1.0, "Na+": 0.05}
    assert cfg["donnan"] == {"activity_model": "ideal", "enabled": True}
    assert cfg["datasets"] == {
        "a": {"path": f"{raw.as_posix()}/a.csv", "validation_mode": "strict"}
    }
    # A key present but null gets its default too (snakemake#1701).
    assert cfgmod.resolve({"raw_dir": str(raw), "activity": None})["activity"][
        "model"
    ] == ("truesdell-jones")


def test_resolved_config_is_key_sorted_at_every_level(tmp_path):
    cfg = cfgmod.resolve({"datasets": {"b": {"path": "b.csv"}, "a": {"path": "a.csv"}}})

    def check(node):
        if isinstance(node, dict):
            assert list(node) == sorted(node)
            for v in node.values():
                check(v)

    check(cfg)


@pytest.mark.parametrize(
    ("config", "key", "fragment"),
    [
        ({"bogus": 1}, "<top level>", "'bogus' was unexpected"),
        ({"activity": {"model": "debye"}}, "activity/model", "is not one of"),
        ({"validation": {"mode": "loose"}}, "validation/mode", "is not one of"),
        ({"temperatures_C": [-300]}, "temperatures_C/0", "less than the minimum"),
        (
            {"datasets": {"bad name": {"path": "x"}}},
            "datasets",
            "the dataset name 'bad name' may only contain letters",
        ),
        ({"datasets": {"a": {}}}, "datasets/a", "'path' is a required property"),
        (
            {"ghk": {"default_permeability": {"K+": -1}}},
            "ghk/default_permeability/K+",
            "minimum",
        ),
    ],
)
def test_schema_errors_name_the_key(config, key, fragment):
    with pytest.raises(cfgmod.ConfigError) as info:
        cfgmod.resolve(config)
    message = str(info.value)
    assert f"config key {key}:" in message
    assert fragment in message


def test_all_schema_errors_are_reported_at_once():
    with pytest.raises(cfgmod.ConfigError, match=r"\(2 error\(s\)\)"):
        cfgmod.resolve({"bogus": 1, "activity": {"model": "x"}})


def test_discovery_rejects_bad_names_and_duplicate_stems(tmp_path):
    (tmp_path / "ok-1.csv").write_text("x\n")
    (tmp_path / "notes.md").write_text("ignored\n")
    assert list(cfgmod.discover_datasets(tmp_path)) == ["ok-1"]
    (tmp_path / "ok-1.parquet").write_bytes(b"")
    with pytest.raises(cfgmod.ConfigError, match="same dataset name 'ok-1'"):
        cfgmod.discover_datasets(tmp_path)
    (tmp_path / "ok-1.parquet").unlink()
    (tmp_path / "bad name.csv").write_text("x\n")
    with pytest.raises(cfgmod.ConfigError, match="may only contain letters"):
        cfgmod.discover_datasets(tmp_path)


def test_no_dataset_is_an_error(tmp_path):
    with pytest.raises(cfgmod.ConfigError, match="no datasets"):
        cfgmod.resolve({"raw_dir": str(tmp_path)})


def test_dataset_settings_leave_other_datasets_out():
    cfg = cfgmod.resolve({"datasets": {"a": {"path": "a.csv"}, "b": {"path": "b.csv"}}})
    settings = cfgmod.dataset_settings(cfg, "a")
    assert settings["dataset"] == {
        "name": "a",
        "path": "a.csv",
        "validation_mode": "strict",
    }
    assert "b.csv" not in yaml.safe_dump(settings)
    assert "datasets" not in settings


def test_write_resolved_keeps_an_identical_file_untouched(tmp_path):
    cfg = cfgmod.resolve({"datasets": {"a": {"path": "a.csv"}}})
    out = tmp_path / "results" / "config.resolved.yaml"
    assert cfgmod.write_resolved(cfg, out) is True
    assert yaml.safe_load(out.read_text()) == cfg
    assert cfgmod.write_resolved(cfg, out) is False
    cfg2 = cfgmod.resolve(
        {"datasets": {"a": {"path": "a.csv"}}, "activity": {"model": "davies"}}
    )
    assert cfgmod.write_resolved(cfg2, out) is True
    assert re.search(r"model: davies", out.read_text())
    assert list(out.parent.glob("*.tmp")) == []  # no temporary file left behind


def test_concurrent_write_resolved_never_leaves_a_torn_file(tmp_path):
    # Every SLURM job parses the Snakefile and writes the resolved config.
    from concurrent.futures import ThreadPoolExecutor

    cfg = cfgmod.resolve({"datasets": {"a": {"path": "a.csv"}}})
    out = tmp_path / "config.resolved.yaml"
    out.write_text("stale\n")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: cfgmod.write_resolved(cfg, out), range(32)))
    assert yaml.safe_load(out.read_text()) == cfg
    assert list(tmp_path.glob("*.tmp")) == []


def test_dataset_name_index_is_reserved(tmp_path):
    (tmp_path / "index.csv").write_text("x\n")
    with pytest.raises(cfgmod.ConfigError, match=r"index.csv: .*'index' is reserved"):
        cfgmod.resolve({"raw_dir": str(tmp_path)})
    with pytest.raises(cfgmod.ConfigError, match="reserved"):
        cfgmod.resolve({"datasets": {"index": {"path": "a.csv"}}})
