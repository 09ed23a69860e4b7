"""Fingerprints of request bodies, so that a push is skipped when Avito already has it.

A fingerprint is the SHA-256 of the body's canonical JSON (sorted keys, no whitespace), so two
equal plans always give the same value across processes and releases of Python.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
