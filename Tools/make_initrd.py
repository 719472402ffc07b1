#!/usr/bin/env python3
"""Builds the initial RAM disk: a POSIX ustar archive (docs/initrd.md) of the given files.

Usage: make_initrd.py --output initrd.tar [--strip OBJCOPY] [--directory PATH ...] SOURCE=PATH [SOURCE=PATH ...]

Each PATH is the file's path inside the archive (relative, no leading slash). Entries get
mode 0755, owner 0 and a fixed timestamp, so the same inputs always give the same bytes.
With --strip, ELF files go in without their debug information and symbol tables (OBJCOPY
--strip-all; nothing on RaeenOS reads a program's symbols): the boot loader loads the whole
archive, the kernel copies it for user space and the initramfs service unpacks it, so 10 MB
of DWARF and 0.8 MB of symbols would be paid on every boot. The unstripped programs stay in
the build directory, for debuggers.
Each --directory PATH adds an empty directory (a mount point: /tmp, /mnt), mode 0755.
"""

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile


def stripped(objcopy, data):
    with tempfile.TemporaryDirectory(prefix="raeenos-initrd-") as scratch:
        source = os.path.join(scratch, "in.elf")
        output = os.path.join(scratch, "out.elf")
        with open(source, "wb") as source_file:
            source_file.write(data)
        subprocess.run([objcopy, "--strip-all", source, output], check=True)
        with open(output, "rb") as output_file:
            return output_file.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--strip", metavar="OBJCOPY", help="strip debug information and symbols from ELF files with OBJCOPY")
    parser.add_argument("--directory", action="append", default=[], metavar="PATH",
                        help="add an empty directory")
    parser.add_argument("files", nargs="+", metavar="SOURCE=PATH")
    arguments = parser.parse_args()
    with tarfile.open(arguments.output, "w", format=tarfile.USTAR_FORMAT) as archive:
        for path in arguments.directory:
            if not path or path.startswith("/"):
                parser.error(f"expected a relative directory path, got '{path}'")
            info = tarfile.TarInfo(path)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            archive.addfile(info)
        for entry in arguments.files:
            source, separator, path = entry.partition("=")
            if not separator or not source or not path or path.startswith("/"):
                parser.error(f"expected SOURCE=PATH with a relative PATH, got '{entry}'")
            with open(source, "rb") as source_file:
                data = source_file.read()
            if arguments.strip and data[:4] == b"\x7fELF":
                data = stripped(arguments.strip, data)
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
