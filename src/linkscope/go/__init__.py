"""What linkscope knows about Go, in one place, below the formats and above the byte view: string
literals (``strconv``), the build ID (``buildid``). Nothing here reads a file or imports a format
module; the format modules and the analyses use it.
"""
