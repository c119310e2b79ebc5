"""Shared fixtures: the repository's examples and the CLI binary to compare against."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.txt"))


def cli_binary() -> Path:
    """The `spinscope` binary: $SPINSCOPE_BIN, else the release or debug build of this checkout."""
    if os.environ.get("SPINSCOPE_BIN"):
        return Path(os.environ["SPINSCOPE_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("release", "debug"):
        candidate = target / profile / "spinscope"
        if candidate.exists():
            return candidate
    pytest.skip("no spinscope binary built; set SPINSCOPE_BIN")


def cli_reports(paths, tier="fast", flags=()):
    """Reports from `spinscope analyze --format jsonl` (with `flags`) for the given files."""
    out = subprocess.run(
        [str(cli_binary()), "analyze", "--tier", tier, "--format", "jsonl", *flags, *map(str, paths)],
        check=True,
        capture_output=True,
        text=True,
    )
    return [json.loads(line) for line in out.stdout.splitlines()]


def model_dir() -> Path:
    """Where `scripts/fetch-model` installs the full tier's base, as spinscope looks for it."""
    if os.environ.get("SPINSCOPE_MODEL_DIR"):
        return Path(os.environ["SPINSCOPE_MODEL_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME", ""), ".cache")
    return Path(cache) / "spinscope"
