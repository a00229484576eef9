"""Errors that stop a run before it starts (the CLI turns them into exit code 2)."""

from __future__ import annotations

__all__ = ["ConfigurationError", "ConformanceError", "TargetUnreachableError"]


class ConformanceError(Exception):
    """Base class: the run could not be set up."""


class ConfigurationError(ConformanceError, ValueError):
    """Bad options: unknown operationId or parameter, invalid values, missing spec file."""


class TargetUnreachableError(ConformanceError):
    """Nothing answers HTTP at the base URL."""
