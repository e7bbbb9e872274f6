"""``dg dev`` started by our tools stops by its process group with nothing left behind."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

from adventureworks_orchestration.dagster_home import ensure_dagster_home
from adventureworks_orchestration.devtools.dagster_dev import (
    find_project_dir,
    group_alive,
    start_dagster_dev,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _group_command_lines(pgid: int) -> list[str]:
    lines = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and os.getpgid(int(entry.name)) == pgid:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ProcessLookupError):
            continue
    return lines


def test_dg_dev_stops_by_process_group_leaving_no_process_socket_or_temp_folder(tmp_path):
    home = ensure_dagster_home(tmp_path / "data" / "dagster_home")
    env = {**os.environ, "AWO_DATA_DIR": str(tmp_path / "data")}
    before = set(os.listdir(PROJECT_ROOT))
    log = open(tmp_path / "dg-dev.log", "w")  # noqa: SIM115
    server = start_dagster_dev(PROJECT_ROOT, home, port=_free_port(), env=env, output=log)
    try:
        server.wait_until_serving()
        lines = _group_command_lines(server.pgid)
        temp_paths = set(re.findall(r"(/tmp/tmp\w+)", " ".join(lines)))
        assert any("dagster_webserver" in line for line in lines), lines
        assert any("dagster._daemon" in line for line in lines), lines
        assert temp_paths, "the code servers' gRPC sockets live in temp paths"
    finally:
        server.stop()
        log.close()

    assert not group_alive(server.pgid), "no process of the group is left"
    left = [path for path in temp_paths if os.path.exists(path)]
    assert not left, f"sockets and temp folders removed: {left}"
    assert not [n for n in set(os.listdir(PROJECT_ROOT)) - before if n.startswith(".tmp_dagster")]
    assert "Shutting down Dagster services" in (tmp_path / "dg-dev.log").read_text()


def test_the_project_folder_is_found_from_the_package():
    assert find_project_dir() == PROJECT_ROOT
