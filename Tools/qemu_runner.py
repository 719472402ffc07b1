#!/usr/bin/env python3
"""Runs RaeenOS in QEMU, interactively or as a test with a hard timeout.

  qemu_runner.py run   --iso ISO [--uefi] [--smp N] [--mem SIZE] [--gui] [--debug --kernel ELF]
                       [--disk IMAGE[:virtio|ahci|nvme]]... [--iommu[=OPTIONS]] [--device QEMU-DEVICE]...
  qemu_runner.py boot  (--iso ISO | --kernel ELF [--cmdline TEXT]) [--uefi] [--timeout S]
                       [--log FILE] [--until REGEX] [--expect REGEX]... [--expect-exit KIND]
  qemu_runner.py check-log --log FILE --test SUITE.NAME
  qemu_runner.py check-count --log FILE --expected N

`boot` is what ctest calls: it captures the serial console, stops QEMU when --until
matches (and every --expect has, or 10 s later), when the kernel leaves through
isa-debug-exit or at the timeout, and then checks every --expect pattern and the exit
kind. Patterns match the raw output or the console's part of it, kernel records taken out. All QEMU command lines are built here.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import make_iso

# A combined image for -bios (Debian 12), else a code image for a read-only pflash drive.
OVMF_CANDIDATES = ["/usr/share/ovmf/OVMF.fd", "/usr/share/OVMF/OVMF.fd"]
OVMF_CODE_CANDIDATES = ["/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd"]
DEBUG_EXIT_PORT = "0xf4"
# isa-debug-exit makes QEMU exit with (code << 1) | 1; see Kernel/Test/QemuExit.h.
EXIT_KINDS = {33: "tests-passed", 35: "tests-failed", 37: "panic"}


def ovmf_arguments():
    for candidate in OVMF_CANDIDATES:
        if os.path.exists(candidate):
            return ["-bios", candidate]
    for candidate in OVMF_CODE_CANDIDATES:
        if os.path.exists(candidate):
            return ["-drive", f"if=pflash,format=raw,readonly=on,file={candidate}"]
    raise SystemExit("OVMF firmware not found (Debian package 'ovmf')")


def qemu_command(iso, uefi, smp, memory, display="none", debug=False, test_device=False, icount=None,
                 machine="q35", iommu=False, devices=None):
    command = ["qemu-system-x86_64", "-machine", machine, "-cpu", "max", "-smp", str(smp), "-m", memory]
    if iommu is not None and iommu is not False:
        # Intel VT-d (docs/devices.md#dma), by default with 39-bit DMA addresses; `iommu` may
        # be a string of its options ("aw-bits=48,caching-mode=on"). It goes before every
        # other device, so that all of them sit behind it.
        options = iommu if isinstance(iommu, str) and iommu else ""
        command += ["-device", "intel-iommu" + ("," + options if options else "")]
    command += [
        "-cdrom", iso, "-boot", "d", "-serial", "stdio", "-monitor", "none", "-no-reboot",
        "-display", display,
    ]
    for device in devices or []:
        command += ["-device", device]
    if uefi:
        command += ovmf_arguments()
    if test_device:
        command += ["-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT},iosize=0x04"]
    if debug:
        command += ["-s", "-S"]
    if icount is not None:
        # The guest clock counts instructions (2^shift ns each) instead of following the
        # host's: timing in the guest no longer depends on how busy the host is.
        command += ["-icount", f"shift={icount},sleep=off"]
    return command


def interactive_console(command):
    """The serial console on this terminal for a person: Ctrl-C goes to RaeenOS (the shell
    abandons the line) instead of ending QEMU, and Ctrl-A X quits (Ctrl-A C: QEMU's monitor)."""
    serial = command.index("-serial")
    del command[serial:serial + 2]
    monitor = command.index("-monitor")
    del command[monitor:monitor + 2]
    return command + ["-chardev", "stdio,id=console,mux=on,signal=off", "-serial", "chardev:console",
                      "-mon", "chardev=console"]


DISK_KINDS = ("virtio", "ahci", "nvme")


def disk_arguments(disks):
    """QEMU arguments attaching raw disk images: each "PATH[:virtio|ahci|nvme]" (virtio by
    default) on a controller of its own: virtio-blk (modern PCI only), an AHCI controller, or
    an NVMe controller."""
    arguments = []
    for index, disk in enumerate(disks or []):
        path, separator, kind = disk.rpartition(":")
        if not separator or kind not in DISK_KINDS:
            path, kind = disk, "virtio"
        if not os.path.isfile(path):
            raise SystemExit(f"qemu_runner: no disk image {path}")
        drive = f"disk{index}"
        arguments += ["-drive", f"file={path},format=raw,if=none,id={drive}"]
        if kind == "virtio":
            arguments += ["-device", f"virtio-blk-pci,drive={drive},disable-legacy=on"]
        elif kind == "ahci":
            arguments += ["-device", f"ahci,id=ahci{index}", "-device", f"ide-hd,drive={drive},bus=ahci{index}.0"]
        else:
            arguments += ["-device", f"nvme,drive={drive},serial=raeen{index}"]
    return arguments


def run_interactive(arguments):
    display = "gtk" if arguments.gui else "none"
    command = interactive_console(
        qemu_command(arguments.iso, arguments.uefi, arguments.smp, arguments.mem, display, arguments.debug,
                     iommu=arguments.iommu, devices=arguments.device))
    command += disk_arguments(arguments.disk)
    if arguments.debug:
        kernel = os.path.abspath(arguments.kernel)
        print("QEMU is waiting for a debugger. In another terminal run:\n")
        print(f"  gdb -ex 'file {kernel}' -ex 'target remote localhost:1234'\n", flush=True)
    print("RaeenOS: serial console follows; type shutdown to power off, or Ctrl-A X to quit QEMU.", flush=True)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def boot_and_check(arguments):
    with tempfile.TemporaryDirectory(prefix="raeenos-boot-") as scratch:
        iso = arguments.iso
        if iso is None:
            iso = os.path.join(scratch, "boot.iso")
            make_iso.make_iso(arguments.kernel, iso, arguments.cmdline, initrd=arguments.initrd)
        command = qemu_command(
            iso, arguments.uefi, arguments.smp, arguments.mem, test_device=True, icount=arguments.icount,
            iommu=arguments.iommu, devices=arguments.device)
        return run_with_timeout(command, arguments)


# A kernel log record: "[     1.234567] info  ...". The kernel writes whole records to the
# serial port between the console service's writes, so a record can land inside a line of
# user-space output (the shell's banner, an echo).
INLINE_RECORD = r"\[ *[0-9]+\.[0-9]{6}\] [^\n]*\n"


def console_view(text):
    """The serial output as the console service wrote it: every kernel record taken out."""
    return re.sub(INLINE_RECORD, "", text)


def output_matches(pattern, text):
    """Whether `pattern` matches the raw serial output or the console's part of it."""
    return bool(re.search(pattern, text, re.MULTILINE) or re.search(pattern, console_view(text), re.MULTILINE))


# How long a run waits, after --until has matched, for the --expect patterns still missing.
UNTIL_GRACE_SECONDS = 10


def run_with_timeout(command, arguments):
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    os.set_blocking(process.stdout.fileno(), False)
    output = bytearray()
    deadline = time.monotonic() + arguments.timeout
    stopped_by_pattern = False
    timed_out = False
    # Once --until has matched, the run still waits (briefly) for every --expect: on several
    # CPUs a log line written just before the awaited one may reach the port just after it.
    until_matched_at = None
    while True:
        chunk = process.stdout.read()
        if chunk:
            output += chunk
        if arguments.until:
            text_so_far = output.decode("utf-8", "replace")
            if until_matched_at is None and chunk and output_matches(arguments.until, text_so_far):
                until_matched_at = time.monotonic()
            if until_matched_at is not None and (
                    all(output_matches(pattern, text_so_far) for pattern in arguments.expect or [])
                    or time.monotonic() > until_matched_at + UNTIL_GRACE_SECONDS):
                stopped_by_pattern = True
                break
        if process.poll() is not None:
            rest = process.stdout.read()
            if rest:
                output += rest
            break
        if time.monotonic() > deadline:
            timed_out = True
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
        process.wait()
    text = output.decode("utf-8", "replace").replace("\r\n", "\n")
    if arguments.log:
        os.makedirs(os.path.dirname(os.path.abspath(arguments.log)), exist_ok=True)
        with open(arguments.log, "w") as log:
            log.write(text)
    sys.stdout.write(text)

    failures = []
    if timed_out:
        failures.append(f"timed out after {arguments.timeout} s")
    exit_kind = "pattern" if stopped_by_pattern else EXIT_KINDS.get(process.returncode, f"status {process.returncode}")
    if arguments.expect_exit and not timed_out:
        allowed = arguments.expect_exit.split(",")
        if exit_kind not in allowed:
            failures.append(f"QEMU ended with '{exit_kind}', expected {' or '.join(allowed)}")
    for pattern in arguments.expect or []:
        if not output_matches(pattern, text):
            failures.append(f"serial output does not match /{pattern}/")
    for pattern in arguments.reject or []:
        if output_matches(pattern, text):
            failures.append(f"serial output unexpectedly matches /{pattern}/")
    for failure in failures:
        print(f"qemu_runner: FAILED: {failure}")
    return 1 if failures else 0


def check_log(arguments):
    with open(arguments.log) as log:
        text = log.read()
    name = re.escape(arguments.test)
    failures = re.findall(rf"\[TEST\] FAIL {name}: .*", text)
    for failure in failures:
        print(failure)
    if failures:
        return 1
    if not re.search(rf"\[TEST\] PASS {name}$", text, re.MULTILINE):
        print(f"no PASS line for {arguments.test} in {arguments.log}")
        return 1
    print(f"[TEST] PASS {arguments.test}")
    return 0


def check_count(arguments):
    with open(arguments.log) as log:
        text = log.read()
    match = re.search(r"\[TEST\] START selector=\S+ selected=(\d+)", text)
    if not match:
        print("the kernel did not report how many tests it selected")
        return 1
    selected = int(match.group(1))
    if selected != arguments.expected:
        print(f"the kernel ran {selected} tests but the build registered {arguments.expected}: "
              "a KERNEL_TEST was not found by CMake or is not linked into the test kernel")
        return 1
    print(f"kernel selected all {selected} registered tests")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    subcommands = parser.add_subparsers(dest="command", required=True)

    def add_machine_options(subparser):
        subparser.add_argument("--uefi", action="store_true", help="boot with OVMF instead of SeaBIOS")
        subparser.add_argument("--smp", type=int, default=1)
        subparser.add_argument("--mem", default="256M")
        subparser.add_argument("--iommu", nargs="?", const="", default=None, metavar="OPTIONS",
                               help="put the devices behind an Intel VT-d IOMMU (with QEMU's options for it)")
        subparser.add_argument("--device", action="append", metavar="QEMU-DEVICE",
                               help="add a QEMU device, e.g. edu (repeatable)")

    run = subcommands.add_parser("run")
    run.add_argument("--iso", required=True)
    run.add_argument("--kernel")
    run.add_argument("--gui", action="store_true")
    run.add_argument("--debug", action="store_true")
    run.add_argument("--disk", action="append", metavar="IMAGE[:virtio|ahci|nvme]",
                     help="attach a raw disk image (repeatable)")
    add_machine_options(run)

    boot = subcommands.add_parser("boot")
    boot.add_argument("--iso")
    boot.add_argument("--kernel")
    boot.add_argument("--cmdline", default="log=info")
    boot.add_argument("--timeout", type=float, default=60)
    boot.add_argument("--log")
    boot.add_argument("--until")
    boot.add_argument("--expect", action="append")
    boot.add_argument("--reject", action="append")
    boot.add_argument("--expect-exit")
    boot.add_argument("--initrd", help="with --kernel: the initial RAM disk to hand the kernel")
    boot.add_argument("--icount", type=int, help="run on an instruction-counting clock, 2^N ns per instruction")
    add_machine_options(boot)

    check = subcommands.add_parser("check-log")
    check.add_argument("--log", required=True)
    check.add_argument("--test", required=True)

    count = subcommands.add_parser("check-count")
    count.add_argument("--log", required=True)
    count.add_argument("--expected", type=int, required=True)

    arguments = parser.parse_args()
    if arguments.command == "run":
        if arguments.debug and not arguments.kernel:
            parser.error("--debug needs --kernel for the symbol file")
        return run_interactive(arguments)
    if arguments.command == "boot":
        if (arguments.iso is None) == (arguments.kernel is None):
            parser.error("boot needs exactly one of --iso and --kernel")
        if shutil.which("qemu-system-x86_64") is None:
            raise SystemExit("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
        return boot_and_check(arguments)
    if arguments.command == "check-log":
        return check_log(arguments)
    return check_count(arguments)


if __name__ == "__main__":
    sys.exit(main())
