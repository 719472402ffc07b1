#!/usr/bin/env python3
"""Builds the kernel's embedded symbol table, and checks that embedding it moved nothing.

  generate_kernel_symbols.py --nm NM build KERNEL.elf OUTPUT.bin
  generate_kernel_symbols.py --nm NM verify FIRST.elf FINAL.elf

The kernel is linked twice. `build` reads the function symbols of the first link with
llvm-nm and writes the blob that Kernel/Panic/SymbolTable.h describes; the second link
embeds it in the last segment. `verify` fails the build if any function moved between
the two links, which would make every name in a backtrace wrong.
"""
import argparse
import struct
import subprocess
import sys

MAGIC = 0x4D595352
VERSION = 1
KERNEL_VIRTUAL_BASE = 0xFFFFFFFF80000000
TEXT_SYMBOL_TYPES = {"t", "T", "W", "w"}


def read_function_symbols(nm_path, elf_path):
    output = subprocess.run(
        [nm_path, "--defined-only", "--print-size", "--numeric-sort", "--demangle", elf_path],
        check=True, capture_output=True, text=True).stdout
    symbols = []
    for line in output.splitlines():
        fields = line.split(" ", 3)
        # With --print-size: "ADDRESS SIZE TYPE NAME"; symbols without a size omit it.
        if len(fields) == 4 and len(fields[2]) == 1:
            address, size, symbol_type, name = int(fields[0], 16), int(fields[1], 16), fields[2], fields[3]
        else:
            fields = line.split(" ", 2)
            if len(fields) != 3:
                continue
            address, size, symbol_type, name = int(fields[0], 16), 0, fields[1], fields[2]
        if symbol_type not in TEXT_SYMBOL_TYPES or address < KERNEL_VIRTUAL_BASE:
            continue
        symbols.append((address, size, name))
    symbols.sort(key=lambda symbol: symbol[0])
    return symbols


def build(nm_path, elf_path, output_path):
    symbols = read_function_symbols(nm_path, elf_path)
    strings = bytearray()
    entries = bytearray()
    for address, size, name in symbols:
        entries += struct.pack("<QII", address, min(size, 0xFFFFFFFF), len(strings))
        strings += name.encode("utf-8", "replace") + b"\0"
    header = struct.pack("<IIII", MAGIC, VERSION, len(symbols), len(strings))
    with open(output_path, "wb") as output:
        output.write(header + entries + strings)


def verify(nm_path, first_path, final_path):
    first = read_function_symbols(nm_path, first_path)
    final = read_function_symbols(nm_path, final_path)
    if first != final:
        moved = [first_symbol for first_symbol, final_symbol in zip(first, final)
                 if first_symbol != final_symbol][:5]
        sys.exit(f"kernel symbols moved between the two links (first differences: {moved}); "
                 "the .kernel_symbols section must stay the last one in Linker.ld")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nm", dest="nm_path", metavar="NM", default="llvm-nm")
    parser.add_argument("action", choices=["build", "verify"])
    parser.add_argument("first")
    parser.add_argument("second")
    arguments = parser.parse_args()
    if arguments.action == "build":
        build(arguments.nm_path, arguments.first, arguments.second)
    else:
        verify(arguments.nm_path, arguments.first, arguments.second)


if __name__ == "__main__":
    main()
