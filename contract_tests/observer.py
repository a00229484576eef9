"""Check exchanges someone else made (the validation proxy): every response against the spec and our checks.

The suite's checks are driven by requests it sends; here the client drives. Each exchange is matched to its
operation and checked for what one response can show: its status, media type, body schema and headers
(schemathesis' names), ``null_fields``, ``timestamps``, ``error_codes`` (error bodies; a success without
credentials), ``pagination`` (one page in the API's style) and ``lifecycle`` (states across exchanges).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from contract_tests.checks._attribution import attribute
from contract_tests.checks.null_fields import missing_properties
from contract_tests.checks.timestamps import failure_text, timestamp_problems
from contract_tests.events import ChecksPassed, Event, FindingReported, ResponseObserved
from contract_tests.http import curl_command, http_exchange, summarize_response
from contract_tests.lifecycle import TransitionTracker, observe_states
from contract_tests.profiles import ApiProfile
from contract_tests.report.model import Finding
from contract_tests.schema_tools import validation_errors
from contract_tests.spec import OperationMatcher, SpecOperation

__all__ = ["OBSERVED_CHECKS", "Observed", "ExchangeChecker"]

OBSERVED_CHECKS = (
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "null_fields",
    "timestamps",
    "error_codes",
    "pagination",
    "lifecycle",
)


@dataclass(frozen=True, slots=True)
class Observed:
    """One exchange as the proxy saw it (the URL is the upstream's)."""

    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes | None
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes


class ExchangeChecker:
    """Turns observed exchanges into report events; thread-safe (the proxy serves requests in threads)."""

    def __init__(
        self, roots: Sequence[Mapping[str, Any]], profile: ApiProfile, checks: tuple[str, ...] = OBSERVED_CHECKS
    ) -> None:
        self.matcher = OperationMatcher(roots)
        self.profile = profile
        self.checks = checks
        self.tracker = TransitionTracker()
        self._lock = threading.Lock()

    def check(self, seen: Observed) -> tuple[SpecOperation | None, list[Event]]:
        """The operation the exchange is for (``None``: not in the spec) and the events it produces."""
        operation = self.matcher.match(seen.method, seen.url)
        if operation is None:
            return None, []
        with self._lock:
            events: list[Event] = [ResponseObserved(operation=operation.ref, status=seen.status)]
            body, parsed = _json(seen.body)
            for check, problem in self._problems(operation, seen, body, parsed):
                if problem is None:
                    events.append(ChecksPassed(operation=operation.ref, check=check))
                else:
                    events.append(FindingReported(finding=self._finding(operation, seen, check, *problem)))
        return operation, events

    def _problems(self, op: SpecOperation, seen: Observed, body: Any, parsed: bool
                  ) -> Iterator[tuple[str, tuple[str, str] | None]]:
        schema = op.json_schema(seen.status)
        generic = list(self._generic(op, seen, body, parsed, schema))
        for check, problem in generic:
            if problem is None or check not in self.checks:
                yield check, problem
                continue
            verdict = attribute(check, self.checks, status=seen.status, root=op.root, schema=schema, body=body,
                                has_body=parsed, message=problem[1])
            if verdict.action == "keep":
                yield check, problem
            elif verdict.action == "relabel" and verdict.check:
                yield verdict.check, (verdict.title or problem[0], problem[1])
        yield from self._ours(op, seen, body, parsed, schema)

    def _generic(self, op: SpecOperation, seen: Observed, body: Any, parsed: bool, schema: Any
                 ) -> Iterator[tuple[str, tuple[str, str] | None]]:
        documented = op.response(seen.status)
        if documented is None:
            listed = ", ".join(str(k) for k in op.definition.get("responses") or {})
            yield "status_code_conformance", ("Undocumented status code",
                                              f"Received: {seen.status}\nDocumented: {listed}")
            return
        yield "status_code_conformance", None
        media = [m.split(";")[0].strip().lower() for m in (documented.get("content") or {})]
        received = seen.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media and seen.body and received not in media:
            yield "content_type_conformance", ("Undocumented Content-Type",
                                               f"Received: {received or '(none)'}\nDocumented: {', '.join(media)}")
        else:
            yield "content_type_conformance", None
        missing = [name for name, header in (documented.get("headers") or {}).items()
                   if isinstance(header, Mapping) and header.get("required") and name not in seen.headers]
        yield "response_headers_conformance", (
            ("Missing required headers", f"Received: no {', '.join(missing)}\nDocumented: required")
            if missing else None)
        if schema is not None and parsed:
            errors = validation_errors(op.root, schema, body)
            yield "response_schema_conformance", (
                ("Response violates schema", "Received: " + "; ".join(errors) + f"\nDocumented: the {seen.status} "
                 "response schema") if errors else None)

    def _ours(self, op: SpecOperation, seen: Observed, body: Any, parsed: bool, schema: Any
              ) -> Iterator[tuple[str, tuple[str, str] | None]]:
        error_status = seen.status in (401, 403, 404)
        if schema is not None and parsed and not error_status:
            missing = missing_properties(op.root, schema, body)
            names = ", ".join(sorted({p.rsplit(".", 1)[-1] for p in missing}))
            yield "null_fields", ((f"Documented properties missing: {names}", f"Received: a {seen.status} body "
                                   f"without {', '.join(missing[:8])}\nDocumented: every property, null when blank")
                                  if missing else None)
            problems = timestamp_problems(op.root, schema, body)
            yield "timestamps", failure_text(problems) if problems else None
        if op.requires_auth() and "authorization" not in {k.lower() for k in seen.request_headers} \
                and 200 <= seen.status < 300:
            yield "error_codes", ("Missing credentials not answered with 401",
                                  f"Received: {seen.status}\nDocumented: 401 with the API's error body")
        style = self.profile.pagination_for(op)
        if style is not None and seen.status == 200 and parsed:
            yield from self._page(style, seen, body)
        if seen.status == 200 and parsed and schema is not None:
            yield from self._lifecycle(op, seen, body, schema)

    def _page(self, style: Any, seen: Observed, body: Any) -> Iterator[tuple[str, tuple[str, str] | None]]:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(seen.url).query).items()}
        size = query.get(style.per_page_param or "", "")
        per_page = int(size) if size.isdigit() else None
        items = style.items(body)
        limit = per_page if per_page is not None else style.default_per_page
        problems = list(style.page_problems(seen.headers, body, per_page, _page_number(query, style)))
        if items is not None and len(items) > limit:
            problems.append((f"Page has more items than {style.per_page_param or 'the page size'}",
                             f"Received: {len(items)} items\nDocumented: at most {limit}"))
        if not problems:
            yield "pagination", None
        for problem in problems:
            yield "pagination", problem

    def _lifecycle(self, op: SpecOperation, seen: Observed, body: Any, schema: Any
                   ) -> Iterator[tuple[str, tuple[str, str] | None]]:
        observations = observe_states(op.root, schema, body, scope=urlsplit(seen.url).path)
        if not observations:
            return
        illegal = self.tracker.observe(observations)
        if not illegal:
            yield "lifecycle", None
        for item in illegal:
            o = item.observation
            allowed = ", ".join(item.allowed) or "nothing (final state)"
            yield "lifecycle", (f"Illegal state transition: {o.field} {item.previous} -> {o.state}",
                                f"Received: {o.path} was {item.previous!r} in an earlier response, now {o.state!r}\n"
                                f"Documented: from {item.previous!r} it moves to {allowed} (x-ciapi-transitions)")

    def _finding(self, op: SpecOperation, seen: Observed, check: str, title: str, message: str) -> Finding:
        auth = next((v for k, v in seen.request_headers.items() if k.lower() == "authorization"), "")
        secrets = {auth.rpartition(" ")[2]: "CIAPI_TOKEN"} if auth else {}
        headers = {k: v for k, v in seen.request_headers.items() if k.lower() not in ("host", "content-length")}
        record = http_exchange(seen.method, seen.url, headers, seen.request_body,
                               (seen.status, seen.reason, seen.headers, seen.body), secrets, redact_unknown=True)
        return Finding(check=check, operation=op.ref, title=title, message=message, phase="proxy",
                       curl=curl_command(seen.method, seen.url, headers, seen.request_body, secrets),
                       response=summarize_response(seen.status, seen.reason, seen.body), exchange=record)


def _json(content: bytes) -> tuple[Any, bool]:
    if not content:
        return None, False
    try:
        return json.loads(content), True
    except ValueError:
        return None, False


def _page_number(query: Mapping[str, str], style: Any) -> int:
    value = query.get(getattr(style, "page_param", ""), "")
    return max(int(value), 1) if value.isdigit() else 1
