"""LD_PRELOAD exposure: whether the dynamic loader runs at all, what it could interpose, and when
it runs in secure-execution mode.

- No PT_INTERP (static, static-pie): the kernel starts the program directly; no loader reads
  LD_PRELOAD, LD_LIBRARY_PATH or LD_AUDIT: ``preload.immune``.
- A dynamic Go binary: only the calls made through cgo go through the dynamic symbol table (the
  imports: getaddrinfo, getpwuid_r, pthread_create...); Go's own code makes system calls directly,
  so a preloaded library cannot see its file, network or process operations: ``preload.exposed``.
- Any other dynamic executable: every imported function can be interposed.
- Set-uid, set-gid, or file capabilities (the ``security.capability`` extended attribute): the
  kernel sets AT_SECURE and glibc's loader runs in secure-execution mode (ld.so(8)):
  LD_LIBRARY_PATH is ignored, LD_PRELOAD entries containing a slash are ignored and the others
  load only from the standard directories and only if set-user-ID, LD_AUDIT likewise, and other
  unsafe variables (LD_DEBUG_OUTPUT, GLIBC_TUNABLES' unsafe tunables...) are dropped:
  ``preload.secure-exec``.

File capabilities are read through the tree the file is in (``files.Files.capabilities``) and parsed
here (:func:`parse_capabilities`, VFS_CAP_REVISION 1-3 of linux/capability.h).
"""
from __future__ import annotations

import struct

from ..model import Finding

_CAP_NAMES = (
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
    "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
    "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
    "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
    "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
    "checkpoint_restore",
)
VFS_CAP_FLAGS_EFFECTIVE = 0x000001


def parse_capabilities(raw: bytes | None) -> tuple[str, ...]:
    """Permitted capability names of a vfs_cap_data value ("cap_net_raw", ...), "+effective" marked."""
    if not raw or len(raw) < 4:
        return ()
    magic = struct.unpack_from("<I", raw, 0)[0]
    rev = magic & 0xFF000000
    words = 1 if rev == 0x01000000 else 2 if rev in (0x02000000, 0x03000000) else 0
    if not words or len(raw) < 4 + 8 * words:
        return ()
    permitted = 0
    for i in range(words):
        lo = struct.unpack_from("<I", raw, 4 + 8 * i)[0]
        permitted |= lo << (32 * i)
    names = [f"cap_{n}" for i, n in enumerate(_CAP_NAMES) if permitted >> i & 1]
    names += [f"cap_{i}" for i in range(len(_CAP_NAMES), 64) if permitted >> i & 1]
    if names and magic & VFS_CAP_FLAGS_EFFECTIVE:
        names[-1] += " (effective)"
    return tuple(names)


def findings(ev, cgo_used: bool | None, caps: tuple[str, ...]) -> list[Finding]:
    b = ev.binary
    if ev.format != "elf" or b.type not in ("executable", "pie-executable"):
        return []
    out: list[Finding] = []
    privileged = b.setuid or b.setgid or bool(caps)
    if not ev.image.program_headers_ok:
        return []   # whether a loader runs is in the program headers, which could not be read
    if b.interpreter is None:
        out.append(Finding("preload.immune", "info", "No dynamic loader runs for this program (no PT_INTERP): "
                           "LD_PRELOAD, LD_LIBRARY_PATH and LD_AUDIT have no effect on it.",
                           ("no PT_INTERP program header", f"linkage {b.linkage}"), None))
    elif ev.is_go:
        imports = sorted(ev.imports)
        shown = ", ".join(imports[:6]) + (f" (+{len(imports) - 6} more)" if len(imports) > 6 else "")
        title = ("The dynamic loader honours LD_PRELOAD, but only the C library calls made through cgo can be "
                 "interposed" + (f" ({shown})" if shown else "") + "; Go's own code makes system calls directly.")
        ev_ = [f"interpreter {b.interpreter}"] + ([f"{len(imports)} imported functions"] if imports else [])
        if cgo_used is False:
            ev_.append("cgo not used")
        out.append(Finding("preload.exposed", "info", title, tuple(ev_), None))
    else:
        out.append(Finding("preload.exposed", "info", "The dynamic loader honours LD_PRELOAD and LD_LIBRARY_PATH: "
                           "any imported function can be interposed by a preloaded library.",
                           (f"interpreter {b.interpreter}",), None))
    if privileged:
        why = [w for w, on in (("set-user-ID bit", b.setuid), ("set-group-ID bit", b.setgid)) if on]
        if caps:
            why.append("file capabilities " + ", ".join(caps) + " (security.capability)")
        if b.interpreter is not None:
            title = ("Runs in secure-execution mode (" + ", ".join(why) + "): the loader ignores LD_LIBRARY_PATH, "
                     "ignores LD_PRELOAD entries with a slash and preloads others only from the standard "
                     "directories when they are set-user-ID, and drops unsafe environment variables.")
        else:
            title = ("Privileged (" + ", ".join(why) + "); no loader runs, but the C library (if any) still "
                     "runs in secure mode (AT_SECURE) and the program must distrust its environment itself.")
        out.append(Finding("preload.secure-exec", "info", title, tuple(why), None))
    return out
