#!/usr/bin/env python3
"""Builds Tests/Sdk/hello outside the tree with RaeenOS's SDK and checks the program.

  check_sdk.py --sdk DIR --source DIR --work DIR

The program must come out as RaeenOS runs programs: a static position-independent ELF64
executable (type DYN, no interpreter, no dynamic symbols to resolve), entered at _start, with
the C library's start and the program's own main linked in.
"""
import argparse
import os
import shutil
import subprocess
import sys


def run(command):
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if completed.returncode != 0:
        print(completed.stdout)
        raise SystemExit(f"check_sdk: FAILED: {' '.join(command)} exited with {completed.returncode}")
    return completed.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--work", required=True)
    arguments = parser.parse_args()
    shutil.rmtree(arguments.work, ignore_errors=True)
    toolchain = os.path.join(arguments.sdk, "RaeenOSToolchain.cmake")
    run(["cmake", "-S", arguments.source, "-B", arguments.work, "-G", "Ninja", f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"])
    run(["cmake", "--build", arguments.work])
    program = os.path.join(arguments.work, "hello")
    readelf = shutil.which("llvm-readelf") or shutil.which("llvm-readelf-14")
    headers = run([readelf, "--file-header", "--program-headers", program])
    symbols = run([readelf, "--symbols", program])
    failures = []
    if "Type:                              DYN" not in headers:
        failures.append("not a position-independent executable (type DYN)")
    if "INTERP" in headers:
        failures.append("asks for a dynamic linker")
    if "Machine:                           Advanced Micro Devices X86-64" not in headers:
        failures.append("not x86-64")
    for symbol in (" _start", " raeen_call_main", " main", " puts", " greeting"):
        if symbol not in symbols:
            failures.append(f"no{symbol} in the program")
    for failure in failures:
        print(f"check_sdk: FAILED: {failure}")
    if not failures:
        print("check_sdk: the SDK builds a RaeenOS program")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
