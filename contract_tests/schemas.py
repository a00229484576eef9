"""Load an API's spec files as schemathesis schemas, and remember which schemas are ours."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemathesis.config import SchemathesisConfig
    from schemathesis.specs.openapi.schemas import OpenApiSchema

__all__ = ["is_ciapi_schema", "load_schemas"]

_LOCATIONS: set[str] = set()
_LOCK = threading.Lock()


def load_schemas(paths: Sequence[Path], config: SchemathesisConfig) -> list[OpenApiSchema]:
    """One schemathesis schema per spec file, all sharing ``config``."""
    import schemathesis

    schemas = []
    for path in paths:
        schema = schemathesis.openapi.from_path(path, config=config)
        with _LOCK:
            _LOCATIONS.add(str(schema.location))
        schemas.append(schema)
    return schemas


def is_ciapi_schema(schema: Any) -> bool:
    """Whether ``schema`` was loaded by the suite: our checks registered in schemathesis skip other schemas."""
    return str(getattr(schema, "location", "")) in _LOCATIONS
