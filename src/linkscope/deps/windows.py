"""The Windows loader's rules, for PE images: imported and delay-loaded DLLs.

* API sets (``api-ms-win-*``, ``ext-ms-win-*``) are virtual names the loader maps through the OS's
  API set schema: "api-set", provided by Windows.
* The DLLs Windows itself ships (:data:`SYSTEM_DLLS`: kernel32, ntdll, user32, advapi32, ws2_32,
  msvcrt, ucrtbase, bcrypt, ...) are "windows-system": provided by the OS, found in
  ``--root``'s ``Windows/System32`` when that exists, never missing, their own imports not followed.
* Any other DLL is searched, case-insensitively as Windows compares names: in the application's
  directory (the input's), then in ``--root``'s ``Windows/System32`` (``SysWOW64`` for 32-bit x86
  images when present) and ``Windows``. A DLL of another machine is passed over, with a diagnostic.

Names are matched case-insensitively; a DLL already loaded (same name, or same file) is reused;
DLLs are followed breadth first, imports before delay-loads of each image.
"""
from __future__ import annotations

import stat
from ..record import record

from ..errors import LinkscopeError, UnsupportedFormat
from ..files import dirname, join
from .records import VIA_APPLICATION_DIR, VIA_API_SET, VIA_NOT_FOUND, VIA_SYSTEM_DIR, VIA_WINDOWS_SYSTEM
from .walk import Found, Node, Walk, listing

API_SET_PREFIXES = ("api-ms-win-", "ext-ms-win-")

# DLLs that ship with Windows itself (System32): the KnownDLLs and the other system libraries
# programs commonly import. Lower-case, with their extension.
SYSTEM_DLLS = frozenset(n + ".dll" for n in """
advapi32 advpack authz bcrypt bcryptprimitives cabinet cfgmgr32 clbcatq combase comctl32 comdlg32
credui crypt32 cryptbase cryptnet cryptsp cryptui d2d1 d3d10 d3d10_1 d3d11 d3d12 d3d9 d3dcompiler_47
dbgeng dbghelp dcomp devobj dhcpcsvc dinput8 dnsapi dpapi dsound dwmapi dwrite dxgi dxva2 esent fltlib
gdi32 gdi32full gdiplus glu32 hid httpapi imagehlp imm32 iphlpapi kernel32 kernelbase ktmw32 logoncli
mf mfplat mfreadwrite mlang mpr msacm32 msasn1 mscms mscoree msctf msi msimg32 msv1_0 msvcp_win msvcrt
mswsock ncrypt netapi32 netutils normaliz ntdll ntdsapi ntmarta odbc32 ole32 oleacc oleaut32 opengl32
pdh powrprof profapi propsys psapi rasapi32 rpcrt4 rstrtmgr samcli sechost secur32 sensapi setupapi
shcore shell32 shlwapi slc spoolss srvcli sspicli sxs tdh uiautomationcore ucrtbase umpdc urlmon user32
userenv usp10 uxtheme version virtdisk wbemcomn webservices wevtapi win32u windowscodecs winhttp wininet
winmm winspool.drv winsta wintrust wldap32 wlanapi wmi wow64 ws2_32 wsock32 wtsapi32 xinput1_4 xmllite
""".split()) | frozenset({"winspool.drv"})

IMAGE_FILE_MACHINE_I386 = 0x14C


@record
class PeObject:
    machine: int
    arch: str
    needed: tuple[str, ...]
    delay_needed: tuple[str, ...]
    problems: tuple[str, ...] = ()


def pe_object(image) -> PeObject:
    if getattr(image, "format", None) != "pe":
        raise UnsupportedFormat(f"not a PE image ({getattr(image, 'format', 'unknown')})")
    problems = []
    try:
        needed = tuple(image.needed)
    except LinkscopeError as e:
        needed, problems = (), [f"import directory unreadable: {e}"]
    try:
        delay = tuple(getattr(image, "delay_needed", ()))
    except LinkscopeError as e:
        delay = ()
        problems.append(f"delay-load directory unreadable: {e}")
    return PeObject(image.machine, image.arch, needed, delay, tuple(problems))


def classify(name: str) -> str | None:
    low = name.lower()
    if low.startswith(API_SET_PREFIXES):
        return VIA_API_SET
    if low in SYSTEM_DLLS or (low + ".dll") in SYSTEM_DLLS:
        return VIA_WINDOWS_SYSTEM
    return None


def _ci_dir(fs, path: str) -> str | None:
    """``path`` inside the root with each component matched case-insensitively, or None."""
    cur = "/"
    for comp in [c for c in path.split("/") if c]:
        names, err = fs.listdir(cur)
        if err:
            return None
        hit = next((n for n in names if n.lower() == comp.lower()), None)
        if hit is None:
            return None
        cur = join(cur, hit)
    return cur


class WindowsRules:
    """The Windows loader's answers to the walk's questions (:class:`walk.Walk`)."""

    name = "windows"

    def __init__(self, ctx, main: PeObject, search_dirs: list[tuple[str, str]], system_dir: str | None):
        self.ctx, self.main, self.search_dirs, self.system_dir = ctx, main, search_dirs, system_dir

    def needs(self, node: Node):
        return ((n, None) for n in node.rec.needed + node.rec.delay_needed)   # imports before delay-loads

    def expand_needed(self, walk, node: Node, raw: str) -> str:
        return raw

    def match_loaded(self, walk, name: str) -> Node | None:
        return walk.by_name.get(name.lower())

    def identity(self, r) -> str:
        return r.real

    def names_of(self, name: str, found: Found) -> set:
        return {name.lower()}

    def _find_in(self, d: str, name: str):
        fs = self.ctx.fs
        names, err = fs.listdir(d)
        if err:
            self.ctx.warn(err)
            return None
        low = name.lower()
        hit = next((n for n in names if n.lower() == low), None)
        if hit is None:
            return None
        p = join(d, hit)
        rr = fs.resolve(p)
        if not rr.ok or not stat.S_ISREG(rr.st.st_mode):
            if rr.message:
                self.ctx.warn(rr.message)
            return None
        return p, rr

    def provided(self, walk, name: str, n: Node) -> Node | None:
        """API sets and the DLLs Windows ships: the OS provides them; their imports are not followed."""
        kind = classify(name)
        if kind is None:
            return None
        hit = self._find_in(self.system_dir, name) if kind == VIA_WINDOWS_SYSTEM and self.system_dir else None
        return walk.new(Node(name, hit[0] if hit else None, hit[1].real if hit else None, kind, None, n, n.depth + 1,
                             names={name.lower()}), register=True)

    def search(self, walk, name: str, n: Node) -> Found | None:
        for d, via in self.search_dirs:
            hit = self._find_in(d, name)
            if hit is None:
                continue
            p, rr = hit
            obj = self.ctx.objects.parse(rr, pe_object)
            if isinstance(obj, str):
                self.ctx.warn(f"{p}: {obj}; passed over")
                continue
            if obj.machine != self.main.machine:
                self.ctx.warn(f"{p}: a {obj.arch} DLL, the program is {self.main.arch}; passed over")
                continue
            for prob in obj.problems:
                self.ctx.warn(f"{p}: {prob}")
            return Found(p, rr, via)
        return None

    def load(self, walk, found: Found):
        return self.ctx.objects.parse(found.resolved, pe_object)

    def unresolved(self, walk, name: str, kind, n: Node) -> Node:
        return walk.new(Node(name, None, None, VIA_NOT_FOUND, None, n, n.depth + 1, faked=True,
                             names={name.lower()}), register=True)


def resolve(ctx, path: str, inner: str, r, rec: PeObject) -> dict:
    fs = ctx.fs
    for p in rec.problems:
        ctx.warn(f"{path}: {p}")
    search_dirs: list[tuple[str, str]] = [(dirname(r.real), VIA_APPLICATION_DIR)]
    sysdirs = ["/Windows/SysWOW64", "/Windows/System32"] if rec.machine == IMAGE_FILE_MACHINE_I386 \
        else ["/Windows/System32"]
    system_dir = None
    for d in sysdirs:
        found = _ci_dir(fs, d)
        if found:
            system_dir = system_dir or found
            search_dirs.append((found, VIA_SYSTEM_DIR))
            break
    windir = _ci_dir(fs, "/Windows")
    if windir:
        search_dirs.append((windir, VIA_SYSTEM_DIR))
    rules = WindowsRules(ctx, rec, search_dirs, system_dir)
    main = Node(path, inner, r.real, "", rec, None, 0, rules.identity(r), names=set())
    walk = Walk(rules, main, None, ctx.warn, ctx.env.max_objects)
    libs, missing, needs, _ = listing(walk, walk.run())
    return dict(rules="windows", libraries=libs, missing=missing, needs=needs,
                static=not (rec.needed or rec.delay_needed))
