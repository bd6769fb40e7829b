"""Generated blocks in the docs: the text between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``
markers is written by a script (parameter tables, calibration tables), never by hand."""

from __future__ import annotations

import re


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the block ``name`` holding ``body`` (one marker pair, else ``ValueError``)."""
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
    new, count = pattern.subn(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    if count != 1:
        raise ValueError(f"needs one {name}:begin/end marker pair")
    return new
