"""The package as a new user installs it: a plain (non-editable) ``pip install .``.

The install test copies the tracked files of the source tree to a temporary folder, installs
that copy into a fresh virtualenv, and runs the installed ``reservrobot`` from yet another
folder, so nothing can be found by accident in the source tree: the configuration must come
from the wheel (``reservrobot_config``). It needs no network: the build uses the project
venv's setuptools (``--no-build-isolation``) and the new venv sees the project venv's
third-party packages through a ``.pth`` line (a plain path: the editable install's own
``.pth`` and finder there are not run, so ``robot`` and friends come from the wheel only).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from setuptools import find_packages

REPO = Path(__file__).resolve().parents[2]
CODE_PACKAGES = ("robot", "flows", "apps", "qa", "mock_sites")


def _pyproject() -> dict[str, object]:
    with (REPO / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def test_explicit_package_list_should_name_every_package_of_the_source_tree() -> None:
    tool = _pyproject()["tool"]
    assert isinstance(tool, dict)
    listed = set(tool["setuptools"]["packages"])
    found = set(find_packages(where=str(REPO), include=[f"{p}*" for p in CODE_PACKAGES]))
    # The one mapped folder: config/ ships as the data package reservrobot_config.
    assert listed - {"reservrobot_config"} == found
    assert tool["setuptools"]["package-dir"] == {"reservrobot_config": "config"}


def _tracked_copy(target: Path) -> Path:
    """The files git tracks (and new ones it does not ignore), as a fresh clone would have."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = REPO / name
        if source.is_file():  # a file deleted in the work tree but still in the index
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``bin`` folder of a new venv with the project installed from a copy of the tree."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to know which files a clone has")
    work = tmp_path_factory.mktemp("install")
    source = _tracked_copy(work / "source")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    new_python = venv / "bin" / "python"
    new_site = subprocess.run(
        [str(new_python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(new_site) / "project-venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(new_python), "install"),
            *("--no-deps", "--no-build-isolation", "--no-index", "--quiet", str(source)),
        ],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield venv / "bin"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RESERVROBOT_", "PYTHON", "VIRTUAL_ENV"))
    }
    return {**env, **extra}


def _run(
    bin_dir: Path, cwd: Path, *args: str, script: str = "reservrobot", **env: str
) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(bin_dir / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=_clean_env(**env),
        timeout=300,
    )


@pytest.mark.slow
def test_installed_package_should_import_from_the_wheel_not_the_source_tree(
    installed: Path, tmp_path: Path
) -> None:
    found = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "import robot, mock_sites, reservrobot_config; from robot.settings import "
            "DEFAULT_CONFIG_DIR; print(robot.__file__, mock_sites.__file__, DEFAULT_CONFIG_DIR)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_clean_env(),
        check=True,
    ).stdout.split()
    venv = installed.parent.resolve()
    for path in found:
        assert Path(path).resolve().is_relative_to(venv), path
    assert Path(found[2]).name == "reservrobot_config"
    assert (Path(found[2]) / "selectors" / "pmo_a.toml").is_file()


@pytest.mark.slow
def test_installed_doctor_should_find_its_configuration_from_another_folder(
    installed: Path, tmp_path: Path
) -> None:
    # Nothing listens on port 9 (discard): the sites are unreachable, the configuration is not.
    result = _run(
        installed,
        tmp_path / "elsewhere",
        "doctor",
        RESERVROBOT_DATA_DIR=str(tmp_path / "data"),
        RESERVROBOT_PMO_URL="http://127.0.0.1:9",
        RESERVROBOT_RNS_URL="http://127.0.0.1:9",
        RESERVROBOT_PLEXUS_URL="http://127.0.0.1:9",
        RESERVROBOT_TIMEOUT_MS="2000",
    )
    lines = result.stdout.splitlines()
    [settings_line] = [line for line in lines if "Inställningar" in line]
    assert settings_line.startswith("OK "), result.stdout + result.stderr
    config_dir = Path(re.sub(r"^OK\s+Inställningar: (\S+) .*$", r"\1", settings_line))
    assert config_dir.resolve().is_relative_to(installed.parent.resolve()), settings_line
    assert "region gavleborg" in settings_line
    assert any(line.startswith("FEL") and "PMO svarar" in line for line in lines), result.stdout
    assert result.returncode != 0  # the unreachable sites are reported as failures


@pytest.mark.slow
def test_installed_mock_serve_check_should_start_and_log_in_to_every_site(
    installed: Path, tmp_path: Path
) -> None:
    result = _run(
        installed,
        tmp_path / "elsewhere",
        *("mock", "serve", "--check", "--data-dir", str(tmp_path / "mock")),
        *("--plexus-port", "0", "--pmo-port", "0", "--rns-port", "0"),
        script="reservrobot-qa",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    oks = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("OK ")]
    assert sorted(oks) == ["plexus:", "pmo:", "rns:"], result.stdout
