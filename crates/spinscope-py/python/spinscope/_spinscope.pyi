"""Type stubs for the native module; use the functions in ``spinscope`` instead."""

from typing import Any, Dict, List, Optional, Tuple

__version__: str

def analyze_json(
    text: str,
    *,
    id: str = "text",
    lang: str = "auto",
    outlet: Optional[str] = None,
    title: Optional[str] = None,
    tier: Optional[str] = None,
) -> Tuple[str, Optional[str]]:
    """The report as JSON, and why the full tier did not run where it was asked for."""

def analyze_many(texts: List[str], *, threads: Optional[int] = None) -> List[Dict[str, Any]]:
    """Reports as dicts, in input order, analysed in parallel without the GIL."""
