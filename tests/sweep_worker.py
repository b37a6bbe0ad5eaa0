"""The truncation and byte-flip sweep of one seed binary, run in a worker process the test starts
with memory and CPU limits: every cut and every flip inspected through the whole record (inspect())
and checked against the invariants (reference.check_record: a Binary, a known error kind, warnings
well-formed), each timed in CPU seconds. Prints one JSON summary line; a failure is an entry of its
``failures``, never an exception the worker dies of (the test treats a dead worker as a failure too).

Mutations (see :func:`mutations`): prefixes at every HEAD_STEP bytes of the first HEAD bytes and at
a few points beyond; bytes of the first HEAD (every header field of every format's fixed headers and
first tables lies there for these seeds) and of the ELF program and section header tables or the
Mach-O load commands wherever they are, changed one at a time."""
from __future__ import annotations

import json
import os
import struct
import sys
import time
import traceback

HEAD = 1024
HEAD_STEP = 13


def table_offsets(data: bytes) -> range | list:
    """Where the ELF header tables or Mach-O load commands are (beyond HEAD too), from the headers."""
    out = []
    if data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1 and len(data) >= 64:
        phoff, shoff = struct.unpack_from("<QQ", data, 32)
        phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 54)
        for off, n in ((phoff, phentsize * phnum), (shoff, shentsize * shnum)):
            if off < len(data):
                out.extend(range(off, min(off + n, len(data))))
    if data[:4] == b"\xcf\xfa\xed\xfe" and len(data) >= 32:
        sizeofcmds = struct.unpack_from("<I", data, 20)[0]
        out.extend(range(32, min(32 + sizeofcmds, len(data))))
    return sorted(set(o for o in out if o >= HEAD))


def mutations(data: bytes, full: bool):
    """Quick (CI): every byte of the first 256 set to 0x00 and 0xff, every 4th byte to 1024, every
    8th of the tables beyond. Full (LINKSCOPE_SWEEP_FULL=1): every byte, three values each."""
    n = len(data)
    for cut in list(range(0, min(HEAD, n), HEAD_STEP)) + [n // 4, n // 2, n - 4096, n - 1]:
        if 0 <= cut < n:
            yield f"cut {cut}", data[:cut]
    tables = table_offsets(data)
    offsets = list(range(min(HEAD, n))) + tables if full else \
        list(range(min(256, n))) + list(range(256, min(HEAD, n), 4)) + tables[::8][:400]
    for off in offsets:
        values = {0x00, 0xFF, (data[off] + 1) & 0xFF} if full else {0x00, 0xFF}
        for v in sorted(values - {data[off]}):
            yield f"byte {off} = {v:#04x}", data[:off] + bytes([v]) + data[off + 1:]


def main(seed: str, scratch: str) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import reference
    from linkscope.inspector import inspect

    data = open(seed, "rb").read()
    path = os.path.join(scratch, "input")
    failures, count, worst, worst_what = [], 0, 0.0, ""
    for what, body in mutations(data, os.environ.get("LINKSCOPE_SWEEP_FULL") == "1"):
        with open(path, "wb") as f:
            f.write(body)
        t = time.process_time()
        try:
            rec = inspect(path)
            reference.check_record(rec, len(body))
            if rec.error is not None and rec.error.kind == "internal":
                failures.append([what, rec.error.message])
        except BaseException as e:       # an escape, or a broken invariant
            failures.append([what, "".join(traceback.format_exception_only(type(e), e)).strip()[:300]])
        spent = time.process_time() - t
        if spent > worst:
            worst, worst_what = spent, what
        count += 1
    print(json.dumps({"count": count, "failures": failures[:20], "failed": len(failures),
                      "worst_cpu": worst, "worst": worst_what}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
