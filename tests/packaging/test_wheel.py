"""The built wheel works alone: installed in a fresh venv, run outside the checkout.

The editable install of the development venv reads the schemas, templates and data
straight from ``src/``, so a file missing from the wheel would pass every other test.
Here the wheel is built from a copy of the working tree (building in place would write
``build/`` and ``*.egg-info`` into a checkout that other work shares), installed with
``--no-deps`` into a new venv, and the command line runs there from a temporary folder.

The third-party dependencies come from the development venv: a ``.pth`` file in the new
venv names its site-packages as a plain path. Python only reads ``.pth`` files in site
directories, not in folders a ``.pth`` line adds, so the development venv's editable
hook for iongrad (an ``__editable__*.pth`` there) never runs: the tests check that
``iongrad`` itself is imported from the new venv.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "iongrad"
SQUID = REPO / "data" / "raw" / "squid_giant_axon.csv"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

PIP = (sys.executable, "-m", "pip")
PURELIB = "import sysconfig; print(sysconfig.get_path('purelib'))"
NERNST = "iongrad nernst --ion K+ --c-in 140 --c-out 5 --temperature 37C --json"

# Files a checkout has that must not reach the wheel: bytecode and build metadata.
NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


@dataclass(frozen=True)
class Installed:
    """A fresh venv with the built wheel installed, and what it took to get there."""

    wheel: Path
    venv: Path
    site_packages: Path
    cwd: Path
    env: dict[str, str]

    def python(self, code: str) -> str:
        """Run ``code`` in the venv's interpreter and return its standard output."""
        return self.run([str(self.venv / "bin" / "python"), "-c", code]).stdout

    def run(
        self, argv: list[str], *, check: bool = True
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            argv,
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=check,
        )


def _clean_env(venv: Path) -> dict[str, str]:
    """The caller's environment minus what would point Python back at the checkout."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    shutil.copytree(REPO / "src", source / "src", ignore=NOT_SHIPPED)
    for name in ("pyproject.toml", PROJECT["readme"]):
        shutil.copy2(REPO / name, source / name)

    dist = root / "dist"
    subprocess.run(
        [*PIP, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(source)],
        check=True,
        timeout=600,
    )
    (wheel,) = dist.glob("iongrad-*.whl")

    venv = root / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
        timeout=120,
    )
    target = venv / "bin" / "python"
    # The development venv's pip installs into the new venv's interpreter.
    install = [*PIP, "--python", str(target), "install", "--quiet"]
    subprocess.run(
        [*install, "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
    )
    site_packages = Path(
        subprocess.run(
            [str(target), "-c", PURELIB],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    dev_site = Path(sysconfig.get_path("purelib"))
    (site_packages / "zz_dev_dependencies.pth").write_text(f"{dev_site}\n")

    cwd = root / "elsewhere"
    cwd.mkdir()
    assert not cwd.resolve().is_relative_to(REPO)
    return Installed(wheel, venv, site_packages, cwd, _clean_env(venv))


def test_wheel_ships_every_package_file(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    expected = {
        "iongrad/" + path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert expected - names == set()
    for needed in (
        "iongrad/schemas/measurements.yaml",
        "iongrad/schemas/config.schema.yaml",
        "iongrad/templates/dataset.html.j2",
        "iongrad/templates/index.html.j2",
        "iongrad/data/ions.csv",
        "iongrad/data/pitzer_binary.csv",
    ):
        assert needed in names
    # Only the iongrad package and its metadata: no tests, no top-level schemas/.
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"iongrad", f"iongrad-{PROJECT['version']}.dist-info"}


def test_wheel_schemas_are_the_checkout_schemas(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        for path in sorted((REPO / "schemas").iterdir()):
            assert wheel.read(f"iongrad/schemas/{path.name}") == path.read_bytes()


def test_iongrad_is_imported_from_the_new_venv(installed):
    report = json.loads(
        installed.python(
            "import importlib.metadata as md, json, sys, iongrad\n"
            "print(json.dumps({'file': iongrad.__file__, 'path': sys.path,\n"
            "    'version': iongrad.__version__,\n"
            "    'dist': str(md.distribution('iongrad').locate_file(''))}))"
        )
    )
    venv = installed.venv.resolve()
    assert Path(report["file"]).resolve().is_relative_to(venv), report["file"]
    assert Path(report["dist"]).resolve().is_relative_to(venv), report["dist"]
    assert str(REPO / "src") not in report["path"]
    assert report["version"] == PROJECT["version"]


def test_validate_runs_outside_the_checkout(installed):
    result = installed.run(["iongrad", "validate", str(SQUID)], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


def test_nernst_json_runs_outside_the_checkout(installed):
    result = installed.run(
        shlex.split(NERNST),
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["E_mV"] == pytest.approx(-89.06, abs=0.01)


def test_the_entry_point_is_the_new_venv_script(installed):
    script = shutil.which("iongrad", path=installed.env["PATH"])
    assert script is not None
    assert Path(script).parent == installed.venv / "bin"
