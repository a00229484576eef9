"""ciapi's conformance suite: checks any server against the OpenAPI contract of a CI service API."""

from __future__ import annotations

from contract_tests.catalog import API_NAMES, get_api

__all__ = ["API_NAMES", "get_api"]
