"""schemathesis fuzzing (positive and negative cases) of every API's mock through ciapi's own suite, CI-sized.

The long run is ``benchmarks/fuzz_soak.py`` (>= 1,000 cases per API); this test drives the same function with a
fixed seed and a few cases per operation: zero 5xx, zero responses that break the spec (the mock runs strict and
records violations), zero findings of the suite.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from contract_tests.catalog import API_NAMES, get_api
from mock_server.app import build_profile

SEED = 20261123
SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz_soak.py"


@pytest.fixture(scope="module")
def soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ciapi_fuzz_soak", SOAK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("api", API_NAMES)
def test_fuzzing_finds_no_server_error_and_no_spec_violation(soak: ModuleType, api: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    operations = len(build_profile(api).spec.operations)

    result = soak.fuzz_api(api, seed=SEED, cases=6 * operations, max_examples=4)

    assert result.server_errors == 0
    assert result.violations == [], result.violations
    assert result.findings == [] and result.errors == [], [*result.findings, *result.errors]
    assert result.operations == operations, f"{get_api(api).name}: not every operation was fuzzed"
    assert result.cases >= 6 * operations
    assert list(tmp_path.iterdir()) == []  # nothing left in the cwd


def test_the_soak_prints_a_table_per_api(soak: ModuleType) -> None:
    rows = [soak.FuzzResult(api="buildkite", cases=1200, operations=3, rounds=8, server_errors=0, elapsed=3.0)]

    text = soak.table(rows, seed=1)

    assert text.splitlines()[0] == "seed 1"
    assert text.splitlines()[2].split() == ["buildkite", "1200", "3", "8", "0", "0", "0", "0", "3.0"]
