#!/usr/bin/env python3
"""Builds the initial RAM disk: a POSIX ustar archive (docs/initrd.md) of the given files.

Usage: make_initrd.py --output initrd.tar SOURCE=PATH [SOURCE=PATH ...]

Each PATH is the file's path inside the archive (relative, no leading slash). Entries get
mode 0755, owner 0 and a fixed timestamp, so the same inputs always give the same bytes.
"""

import argparse
import io
import sys
import tarfile


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("files", nargs="+", metavar="SOURCE=PATH")
    arguments = parser.parse_args()
    with tarfile.open(arguments.output, "w", format=tarfile.USTAR_FORMAT) as archive:
        for entry in arguments.files:
            source, separator, path = entry.partition("=")
            if not separator or not source or not path or path.startswith("/"):
                parser.error(f"expected SOURCE=PATH with a relative PATH, got '{entry}'")
            with open(source, "rb") as source_file:
                data = source_file.read()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o755
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            archive.addfile(info, io.BytesIO(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
