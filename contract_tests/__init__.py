"""ciapi's conformance suite: checks any server against the OpenAPI contract of a CI service API.

Example:
    ```python
    from contract_tests import ConformanceReport, RunOptions, Target, run_conformance

    target = Target(api="buildkite", base_url="http://127.0.0.1:8080", token="secret")
    report = ConformanceReport.from_events(run_conformance(target, RunOptions(max_examples=10, seed=1)))
    print(report.is_conformant, [f.title for f in report.findings])
    ```
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contract_tests.catalog import API_NAMES, get_api
    from contract_tests.checks import ALL_CHECKS, UnknownCheckError
    from contract_tests.errors import ConfigurationError, ConformanceError, TargetUnreachableError
    from contract_tests.report.model import ConformanceReport, Finding, OperationRef, SkippedProbe
    from contract_tests.runner import RunOptions, run_conformance
    from contract_tests.targets import Target

# Loaded on first use: the mock server imports contract_tests.catalog, and must not pay for schemathesis.
_WHERE = {
    "API_NAMES": "catalog", "get_api": "catalog",
    "ALL_CHECKS": "checks", "UnknownCheckError": "checks",
    "ConfigurationError": "errors", "ConformanceError": "errors", "TargetUnreachableError": "errors",
    "ConformanceReport": "report.model", "Finding": "report.model", "OperationRef": "report.model",
    "SkippedProbe": "report.model",
    "RunOptions": "runner", "run_conformance": "runner",
    "Target": "targets",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'contract_tests' has no attribute {name!r}")
    return getattr(importlib.import_module(f"contract_tests.{_WHERE[name]}"), name)


__all__ = [
    "ALL_CHECKS",
    "API_NAMES",
    "ConfigurationError",
    "ConformanceError",
    "ConformanceReport",
    "Finding",
    "OperationRef",
    "RunOptions",
    "SkippedProbe",
    "Target",
    "TargetUnreachableError",
    "UnknownCheckError",
    "get_api",
    "run_conformance",
]
