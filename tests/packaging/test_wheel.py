"""Installed as a plain wheel in a fresh virtualenv outside the checkout, ciapi finds its specs and fixtures."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding only the ciapi wheel; its dependencies come from this venv through a .pth file."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(ROOT)], check=True, cwd=base)
    [wheel] = dist.glob("ciapi-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "ciapi_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _run(venv: Path, *args: str, cwd: Path) -> str:
    done = subprocess.run([str(venv / "bin" / args[0]), *args[1:]], capture_output=True, text=True, cwd=cwd,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_packages_and_data_come_from_the_wheel(wheel_venv: Path, tmp_path: Path) -> None:
    out = _run(wheel_venv, "python", "-c",
               "import mock_server, contract_tests.catalog as c, mock_server.seeding as s;"
               "print(mock_server.__file__); print(c.specs_dir()); print(s.fixtures_dir())", cwd=tmp_path)
    module, specs, fixtures = out.split()
    for path in (module, specs, fixtures):
        assert path.startswith(str(wheel_venv)), path
    assert (Path(specs) / "buildkite.yaml").is_file()
    assert (Path(fixtures) / "buildkite" / "default.yaml").is_file()


def test_ciapi_serve_from_the_wheel(wheel_venv: Path, tmp_path: Path, serve: Callable[..., Any]) -> None:
    assert str(wheel_venv) in _run(wheel_venv, "ciapi", "apis", cwd=tmp_path)
    served = serve("--api", "buildkite", "--port", "0", "--token", "T",
                   command=[str(wheel_venv / "bin" / "ciapi")], cwd=tmp_path)
    req = urllib.request.Request(served.url + "/v2/organizations/my-great-org/agents",
                                 headers={"Authorization": "Bearer T"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert len(json.loads(resp.read())) == 30


def test_pytest_plugin_from_the_wheel(wheel_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_uses_mock.py").write_text(
        "import mock_server\n"
        "def test_it(buildkite_mock):\n"
        f"    assert mock_server.__file__.startswith({str(wheel_venv)!r})\n"
        "    assert buildkite_mock.url.startswith('http://127.0.0.1:')\n"
        "    assert len(buildkite_mock.state.store.all('agents')) > 30\n"
    )
    out = _run(wheel_venv, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_uses_mock.py",
               cwd=tmp_path)
    assert "1 passed" in out
