"""``linkscope report PART.json...``: the parts of a sharded build matrix merged into one table,
JSON document or HTML page. Exit 0, 1 when a part cannot be read or a variant failed."""
from __future__ import annotations

import json
import sys

from ..status import EXIT_FAIL, EXIT_OK


def run(args) -> int:
    from ..render import lab_report
    from .build import emit

    docs = []
    for p in args.parts:
        try:
            with open(p, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            print(f"linkscope report: {p}: {e}", file=sys.stderr)
            return EXIT_FAIL
        if not isinstance(doc, dict) or doc.get("kind") != "linkscope-build":
            print(f"linkscope report: {p}: not a linkscope build --json document", file=sys.stderr)
            return EXIT_FAIL
        docs.append(doc)
    doc = lab_report.merge(docs)
    written = emit(doc, args)
    return EXIT_FAIL if not written or any(v.get("status") == "failed" for v in doc["variants"]) else EXIT_OK
