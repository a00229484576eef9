"""JUnit XML: one testcase per (operation, check); findings become failures, skips become skipped."""

from __future__ import annotations

import platform
from typing import TextIO
from xml.etree import ElementTree

from contract_tests.report.model import CheckOutcome, ConformanceReport, Finding

__all__ = ["write_junit"]

NOT_RUN_MESSAGE = "not applicable to this operation, or not reached"


def write_junit(report: ConformanceReport, stream: TextIO) -> None:
    """Write ``report`` as JUnit XML. Errors and findings tied to no operation go to an extra ``(run)`` testcase."""
    suite = ElementTree.Element("testsuite", {"name": f"ciapi.{report.api}", "hostname": platform.node()})
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (("base_url", report.base_url), ("seed", str(report.seed))):
        ElementTree.SubElement(properties, "property", {"name": name, "value": value})
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in report.operations.values():
        for check in report.checks:
            case = ElementTree.SubElement(
                suite, "testcase", {"classname": f"{report.api}.{result.operation.short}", "name": check, "time": "0"}
            )
            counts["tests"] += 1
            outcome = result.outcome(check)
            if outcome is CheckOutcome.FAILED:
                counts["failures"] += 1
                _failure(case, result.checks[check].findings)
            elif outcome is CheckOutcome.SKIPPED:
                counts["skipped"] += 1
                ElementTree.SubElement(case, "skipped", {"message": "; ".join(result.checks[check].skipped)})
            elif outcome is CheckOutcome.NOT_RUN:
                counts["skipped"] += 1
                ElementTree.SubElement(case, "skipped", {"message": NOT_RUN_MESSAGE})
    if report.errors or report.run_findings:
        case = ElementTree.SubElement(suite, "testcase", {"classname": f"{report.api}", "name": "(run)", "time": "0"})
        counts["tests"] += 1
        if report.run_findings:
            counts["failures"] += 1
            _failure(case, report.run_findings)
        if report.errors:
            counts["errors"] += 1
            text = "\n".join(f"{e.operation.display + ': ' if e.operation else ''}{e.message}" for e in report.errors)
            ElementTree.SubElement(case, "error", {"message": f"{len(report.errors)} error(s)"}).text = _clean(text)
    attributes = {name: str(value) for name, value in counts.items()} | {"time": f"{report.elapsed:.3f}"}
    suite.attrib.update(attributes)
    root = ElementTree.Element("testsuites", {"name": "ciapi", **attributes})
    root.append(suite)
    ElementTree.indent(root)
    stream.write('<?xml version="1.0" encoding="utf-8"?>\n')
    stream.write(ElementTree.tostring(root, encoding="unicode"))
    stream.write("\n")


def _failure(case: ElementTree.Element, findings: list[Finding]) -> None:
    message = "; ".join(f.title for f in findings)
    blocks = []
    for finding in findings:
        block = [f"[{finding.check}] {finding.title}", finding.message]
        if finding.response:
            block.append(f"Response: {finding.response}")
        if finding.curl:
            block.append(f"Reproduce: {finding.curl}")
        blocks.append("\n".join(block))
    element = ElementTree.SubElement(case, "failure", {"message": _clean(message), "type": findings[0].check})
    element.text = _clean("\n\n".join(blocks))


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (fuzzed payloads contain them)."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd") or ord(ch) >= 0x10000
    )
