"""The build lab: build a Go program every way (modes) for every target, prove each result runs,
compare them.

Layers: toolchains (what this machine has) -> matrix (modes, targets, the variants and why one is
skipped) -> cc (the zig C compiler wrappers for cgo cross builds) -> build (go build, in parallel,
into an output tree) -> verify (run each result in a sandbox) -> lab (the showcase). What the
results look like is render/lab_report.py's; the commands are commands/build.py, lab.py, doctor.py.
"""
