"""spinscope: how news text tries to persuade, with evidence (English and Chinese).

>>> import spinscope
>>> report = spinscope.analyze("Analysts said the plan failed.")
>>> report["summary"]["attributions"]["anonymous"]
1

Reports follow the ``spinscope/report@1`` schema, exactly as ``spinscope analyze --format json``
prints them: offsets are Python string indices into the text.
"""

from __future__ import annotations

import json
import warnings
from typing import Any, Dict, Iterable, List, Optional

from . import _spinscope

__version__ = _spinscope.__version__

__all__ = ["analyze", "analyze_many", "analyze_arrow", "SUMMARY_COLUMNS", "__version__"]


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    return value


def analyze(
    text: str,
    *,
    lang: str = "auto",
    outlet: Optional[str] = None,
    title: Optional[str] = None,
    tier: Optional[str] = None,
    min_score: Optional[Dict[str, float]] = None,
    all: bool = False,
) -> Dict[str, Any]:
    """Analyse one text and return its report as a dict.

    ``lang`` may be ``"auto"``, ``"en"`` or ``"zh"``; the engine detects the language of every
    sentence either way. ``outlet`` lets self-citation ("told the Global Times") be recognised
    for that outlet. ``tier`` is ``"fast"`` (default: rules and linear models) or ``"full"``:
    the learned multilingual encoder besides them, as ``spinscope analyze --tier full`` runs it
    (its base installed by ``scripts/fetch-model``; loaded once per process; about a thousand
    tokens a second on two cores). Where it cannot load or run, a ``RuntimeWarning`` says why
    and the report holds the fast tier's findings.

    Scores are calibrated probabilities, and the report shows (and counts) the findings of each
    kind from the threshold chosen for precision on held-out text, as ``spinscope analyze``
    does. ``min_score`` (e.g. ``{"claim": 0.8}``) replaces the threshold of the kinds it names
    (``technique``, ``attribution``, ``scare_quote``, ``claim``), like ``--min-score``;
    ``all=True`` shows every finding, like ``--all``.
    """
    report, note = _spinscope.analyze_json(
        _text(text, "text"),
        lang=lang,
        outlet=outlet,
        title=title,
        tier=tier,
        min_score=sorted((min_score or {}).items()),
        all=all,
    )
    if note:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    return json.loads(report)


def analyze_many(texts: Iterable[str], *, threads: Optional[int] = None) -> List[Dict[str, Any]]:
    """Analyse many texts in parallel (the GIL is released); reports come back in order.

    Equal to ``[analyze(t) for t in texts]``, several times faster on several cores.
    """
    items = [_text(t, f"texts[{i}]") for i, t in enumerate(texts)]
    return _spinscope.analyze_many(items, threads=threads)


#: Columns of :func:`analyze_arrow`'s result besides the input's own, with their Arrow types.
SUMMARY_COLUMNS = {
    "lang": "string",
    "chars": "int64",
    "techniques": "int64",
    "techniques_per_1k_words": "float64",
    "attributions": "int64",
    "attributions_named": "int64",
    "attributions_anonymous": "int64",
    "self_citations": "int64",
    "anonymous_share": "float64",
    "scare_quotes": "int64",
    "claims": "int64",
    "findings": "string",
}


def summary_row(report: Dict[str, Any]) -> Dict[str, Any]:
    """A report flattened to the :data:`SUMMARY_COLUMNS`; findings as a JSON string."""
    summary = report["summary"]
    attributions = summary["attributions"]
    return {
        "lang": report["document"]["lang"],
        "chars": report["document"]["chars"],
        "techniques": sum(summary["techniques"].values()),
        "techniques_per_1k_words": summary["techniques_per_1k_words"],
        "attributions": attributions["total"],
        "attributions_named": attributions["named"],
        "attributions_anonymous": attributions["anonymous"],
        "self_citations": attributions["self_citation"],
        "anonymous_share": summary["anonymous_share"],
        "scare_quotes": summary["scare_quotes"],
        "claims": summary["claims"],
        "findings": json.dumps(report["findings"], ensure_ascii=False),
    }


def analyze_arrow(table_or_batch: Any, text_column: str = "text", *, threads: Optional[int] = None):
    """Analyse the ``text_column`` of a ``pyarrow.Table`` or ``RecordBatch``.

    Returns a ``pyarrow.RecordBatch`` with the input's columns followed by the
    :data:`SUMMARY_COLUMNS` — the shape Spark's ``mapInArrow`` expects. Null texts are analysed
    as empty.
    """
    import pyarrow as pa

    if isinstance(table_or_batch, pa.Table):
        batch = table_or_batch.combine_chunks().to_batches()
        batch = batch[0] if batch else pa.RecordBatch.from_pylist([], schema=table_or_batch.schema)
    elif isinstance(table_or_batch, pa.RecordBatch):
        batch = table_or_batch
    else:
        raise TypeError(f"expected a pyarrow Table or RecordBatch, not {type(table_or_batch).__name__}")
    if text_column not in batch.schema.names:
        raise KeyError(f"no column {text_column!r}; columns: {batch.schema.names}")
    texts = [t if t is not None else "" for t in batch.column(text_column).to_pylist()]
    rows = [summary_row(r) for r in analyze_many(texts, threads=threads)]
    arrays = list(batch.columns)
    names = list(batch.schema.names)
    for name, kind in SUMMARY_COLUMNS.items():
        arrays.append(pa.array([row[name] for row in rows], type=getattr(pa, kind)()))
        names.append(name)
    return pa.RecordBatch.from_arrays(arrays, names=names)
