"""Validation reports: results read from SHACL reports, our own checks' results, and their renderings."""

from __future__ import annotations

from kg.reports.messages import hint, message
from kg.reports.model import SEVERITIES, Report, Result, Severity, build_report, display, read_results
from kg.reports.render import summary, text

__all__ = [
    "SEVERITIES",
    "Report",
    "Result",
    "Severity",
    "build_report",
    "display",
    "hint",
    "message",
    "read_results",
    "summary",
    "text",
]
