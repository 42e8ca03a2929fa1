"""The folder in memory for raw recordings: RAM-backed, private, and never someone else's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import robot.volatile as volatile
from apps.cli.doctor import memory_check
from robot.settings import Settings
from robot.volatile import holds, ram_backed, volatile_folder, volatile_root


def test_linux_gets_a_private_folder_in_memory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    root = volatile_root(settings)
    if root is None:
        pytest.skip("no tmpfs here (not Linux?)")
    assert ram_backed(root) and not ram_backed(Path("/proc"))
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    folder = volatile_folder(settings, "browser-test")
    assert folder is not None and holds(settings, folder / "traces")
    assert not holds(settings, settings.data_dir)
    folder.rmdir()


def test_a_folder_planted_in_dev_shm_by_someone_else_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shm = tmp_path / "shm"
    shm.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (shm / f"reservrobot-{os.geteuid()}").symlink_to(elsewhere)  # sends our files elsewhere
    monkeypatch.setattr(volatile, "_SHM", shm)
    monkeypatch.setattr(volatile, "ram_backed", lambda path: True)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    settings = Settings(data_dir=tmp_path / "data", evidence_trace=True)

    assert volatile_root(settings) is None
    check = memory_check(settings)
    assert check.warning and "RESERVROBOT_VOLATILE_DIR" in check.detail
