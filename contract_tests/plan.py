"""A run's options (`RunOptions`) and its resolved plan (`RunPlan`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contract_tests.profiles import ApiProfile
from contract_tests.spec import SpecOperation, base_path
from contract_tests.targets import Target

__all__ = ["TESTING_PHASES", "RunOptions", "RunPlan"]

TESTING_PHASES = ("examples", "coverage", "fuzzing", "stateful")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """How to run the suite.

    Args:
        checks: Check names to run (``None`` = all); see `contract_tests.checks.ALL_CHECKS`.
        exclude_checks: Check names to leave out.
        operations: operationIds to test (empty = all).
        max_examples: Cases per operation in the fuzzing and stateful phases.
        seed: Seed for every random choice (schemathesis and probes); random when ``None``.
        params: Fixed values for path/query parameters, by name (``{"org": "my-great-org"}``).
        phases: schemathesis phases to run.
        spec_paths: Spec files to use instead of the catalogue's.
        request_timeout: Seconds per request.
        workers: Operations tested at once in the generating phases (findings are the same for a seed; their
            first-seen example may differ when above 1).
        lifecycle_timeout: Seconds the lifecycle check polls a live server for state changes (a ciapi mock's
            clock is advanced instead, which takes a moment).
    """

    checks: tuple[str, ...] | None = None
    exclude_checks: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    max_examples: int = 100
    seed: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    phases: tuple[str, ...] = TESTING_PHASES
    spec_paths: tuple[Path, ...] | None = None
    request_timeout: float = 10.0
    workers: int = 1
    lifecycle_timeout: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunPlan:
    """Options resolved against the spec and the target: what `run_conformance` executes."""

    target: Target
    options: RunOptions
    profile: ApiProfile
    specs: tuple[tuple[Path, Mapping[str, Any]], ...]
    operations: tuple[SpecOperation, ...]
    checks: tuple[str, ...]
    fixed: Mapping[str, Any]
    seed: int

    def api_url(self, root: Mapping[str, Any]) -> str:
        return self.target.api_url(base_path(root))

    @property
    def secrets(self) -> dict[str, str]:
        """Credentials shown as ``${VARIABLE}`` in reproductions."""
        secrets = {self.target.token: "CIAPI_TOKEN"}
        if self.target.limited_token:
            secrets[self.target.limited_token] = "CIAPI_LIMITED_TOKEN"
        return secrets
