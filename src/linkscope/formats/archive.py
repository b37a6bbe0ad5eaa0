"""Static archives (``ar``), as ar(1) writes them: an 8-byte magic, then for each member a 60-byte
header (name 16, date 12, uid 6, gid 6, mode 8, size 10 in decimal, then "`\\n") and its data,
padded to an even offset. The symbol table ("/", "/SYM64/", "__.SYMDEF") and the long-name table
("//") are the archive's own, not members. A thin archive ("!<thin>\\n") keeps only the headers: its
members' data lives in the files they name. Members are counted by walking the headers, at most
MAX_MEMBERS of them."""
from __future__ import annotations

from ..errors import Malformed
from .base import Image

MAGIC, THIN = b"!<arch>\n", b"!<thin>\n"
HEADER = 60
MAX_MEMBERS = 100_000
_OWN = (b"/", b"//", b"/SYM64/", b"__.SYMDEF", b"__.SYMDEF SORTED")


class ArchiveImage(Image):
    format = "archive"
    binary = False

    def __init__(self, view, thin: bool, members: int | None):
        super().__init__(view)
        self.thin, self.members = thin, members

    def facts(self, summary: bool = False) -> dict:
        kind = "thin ar archive" if self.thin else "ar archive"
        if self.members is None:
            count = f"more than {MAX_MEMBERS:,} members"
        else:
            count = f"{self.members} member" + ("" if self.members == 1 else "s")
        return dict(format="archive", type="archive", members=self.members, description=f"{kind}, {count}")


def parse(view) -> ArchiveImage:
    magic = view.bytes(0, 8, "archive magic")
    if magic not in (MAGIC, THIN):
        raise Malformed("not an ar archive", offset=0)
    thin = magic == THIN
    off, n, size = 8, 0, len(view)
    while off < size:
        if n > MAX_MEMBERS:
            return ArchiveImage(view, thin, None)
        h = view.bytes(off, HEADER, "archive member header")
        if h[58:60] != b"`\n":
            raise Malformed("archive member header does not end with \"`\\n\"", offset=off + 58)
        try:
            length = int(h[48:58].decode("ascii").strip() or "0")
        except (UnicodeDecodeError, ValueError):
            raise Malformed("archive member size is not a decimal number", offset=off + 48) from None
        name = h[:16].rstrip(b" ")
        own = name in _OWN
        if not own:
            n += 1
        off += HEADER
        if not thin or own:
            off += length + (length & 1)
    return ArchiveImage(view, thin, n)
