#!/usr/bin/env python3
"""Measures Linux on the same QEMU machine as RaeenOS, for the benchmark comparison.

  linux_peer.py run --build-dir DIR --smp N [--icount] [--timeout S] --json OUT
  linux_peer.py check-quick --binary PATH

`run` fetches Debian's current kernel package (apt-get download, never installed), builds
Tests/Bench/LinuxPeer.cpp as a static program, packs it as /init of an initramfs, boots
that under QEMU and writes the figures the program printed as JSON. `check-quick` runs the
program on the host with --quick and checks its output, so a test can cover it in a second.

The functions are importable: fetch_kernel, build_peer, make_initramfs, boot and
parse_results.
"""
import argparse
import dataclasses
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_runner  # noqa: E402

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER_SOURCE = os.path.join(REPOSITORY_ROOT, "Tests", "Bench", "LinuxPeer.cpp")
KERNEL_METAPACKAGE = "linux-image-amd64"
# panic=-1 makes a kernel panic (init failing, say) reboot at once, which -no-reboot turns
# into QEMU exiting, so a broken run ends without waiting for the timeout.
KERNEL_COMMAND_LINE = "console=ttyS0 quiet panic=-1"
# Under -icount shift=0 the guest TSC advances one tick per instruction, 1 ns of guest time.
ICOUNT_TSC_HZ = 1_000_000_000

SAMPLED_LINE = re.compile(r"\[BENCH\] (\w+): n=(\d+) min=(\d+) median=(\d+) p99=(\d+) ticks")
NANOSECONDS_LINE = re.compile(r"\[BENCH\] (\w+): (\d+) ns")
CALIBRATION_LINE = re.compile(r"\[BENCH\] tsc_ticks_per_microsecond: (\d+(?:\.\d+)?)")
ERROR_LINE = re.compile(r"\[BENCH\] error: (.*)")
DONE_LINE = re.compile(r"\[BENCH\] done\b")


class BenchmarkError(Exception):
    """The peer program reported an error, or its output is incomplete."""


class BootTimeout(Exception):
    """QEMU did not reach "[BENCH] done" in time; the console text so far is in the log."""


@dataclasses.dataclass
class Kernel:
    path: str
    package: str
    version: str
    deb: str = ""  # the package, for the disk drivers' modules


def current_kernel_package():
    """The versioned image package linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64."""
    listing = subprocess.run(
        ["apt-cache", "depends", KERNEL_METAPACKAGE], check=True, capture_output=True, text=True).stdout
    match = re.search(r"Depends:\s+(linux-image-\d\S*)", listing)
    if not match:
        raise RuntimeError(
            f"apt-cache names no kernel package for {KERNEL_METAPACKAGE} (run 'apt-get update' first)")
    return match.group(1)


def fetch_kernel(cache_dir):
    """Downloads (once) and unpacks Debian's current kernel; returns a Kernel with its vmlinuz."""
    os.makedirs(cache_dir, exist_ok=True)
    package = current_kernel_package()
    packages = sorted(glob.glob(os.path.join(cache_dir, f"{package}_*.deb")))
    if not packages:
        subprocess.run(["apt-get", "download", package], check=True, cwd=cache_dir)
        packages = sorted(glob.glob(os.path.join(cache_dir, f"{package}_*.deb")))
        if not packages:
            raise RuntimeError(f"apt-get download left no {package} package in {cache_dir}")
    deb = packages[-1]
    version = subprocess.run(
        ["dpkg-deb", "--field", deb, "Version"], check=True, capture_output=True, text=True).stdout.strip()
    # One folder per package version, so a newer kernel never mixes with an older one.
    unpacked = os.path.join(cache_dir, f"{package}_{version}")
    images = glob.glob(os.path.join(unpacked, "boot", "vmlinuz-*"))
    if not images:
        extract_boot_files(deb, unpacked)
        images = glob.glob(os.path.join(unpacked, "boot", "vmlinuz-*"))
        if not images:
            raise RuntimeError(f"{deb} holds no boot/vmlinuz-*")
    return Kernel(path=images[0], package=package, version=version, deb=deb)


def extract_boot_files(deb, destination):
    """Unpacks the package's boot/vmlinuz-* and boot/config-* only.

    `dpkg-deb -x` would also unpack some 400 MB of modules, which an initramfs-only boot
    never loads; the package's file tree comes out of `dpkg-deb --fsys-tarfile` instead.
    """
    wanted = re.compile(r"(\./)?boot/(vmlinuz|config)-[^/]+")
    tree = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    try:
        boot_dir = os.path.join(destination, "boot")
        os.makedirs(boot_dir, exist_ok=True)
        with tarfile.open(fileobj=tree.stdout, mode="r|") as archive:
            for member in archive:
                if not (member.isfile() and wanted.fullmatch(member.name)):
                    continue
                # Written by base name under boot/, so no name in the package can place a
                # file anywhere else.
                with archive.extractfile(member) as source, \
                        open(os.path.join(boot_dir, os.path.basename(member.name)), "wb") as target:
                    shutil.copyfileobj(source, target)
    finally:
        tree.stdout.close()
        if tree.wait() != 0:
            raise RuntimeError(f"dpkg-deb --fsys-tarfile {deb} failed with status {tree.returncode}")


# The disk drivers' modules the disk benchmarks load (Debian builds them as modules), with
# whatever they depend on: virtio-blk over virtio's modern PCI transport, NVMe, and AHCI
# with the SCSI disk driver. The CRC algorithms first: the CRC libraries look for them
# through the crypto API (a soft dependency modprobe would follow; there is no modprobe).
DISK_MODULES = ("crct10dif_generic", "crc64_rocksoft_generic", "virtio_pci", "virtio_blk", "nvme", "ahci", "sd_mod")
# The file system benchmarks' modules: virtio-blk for the disk, and ext4, which Debian's
# kernel builds as a module and which mounts ext2 (CONFIG_EXT4_USE_FOR_EXT2; there is no
# ext2 driver). Its `depends=` bring jbd2, mbcache and crc16; crc32c_generic comes first for
# the same reason as the CRC algorithms above (ext4 and jbd2 ask the crypto API for crc32c).
FILE_SYSTEM_MODULES = ("crc32c_generic", "virtio_pci", "virtio_blk", "ext4")
MODULE_DIRECTORIES = re.compile(
    r"(\./)?lib/modules/[^/]+/kernel/(drivers/(virtio|block|nvme|ata|scsi)|lib|crypto|block|fs/(ext4|jbd2))/.*\.ko"
    r"|(\./)?lib/modules/[^/]+/kernel/fs/mbcache\.ko")


def module_name(path):
    return os.path.basename(path)[:-len(".ko")].replace("-", "_")


def module_dependencies(path):
    """The modules a .ko names in its .modinfo's `depends=` (empty for none)."""
    with open(path, "rb") as module:
        data = module.read()
    start = data.find(b"\0depends=")
    if start < 0:
        return []
    value = data[start + len(b"\0depends="):data.index(b"\0", start + 1)].decode()
    return [name.replace("-", "_") for name in value.split(",") if name]


def extract_disk_modules(deb, destination, wanted=DISK_MODULES):
    """Unpacks the directories the disk drivers' (and ext4's) modules come from, then returns
    the module files to load for `wanted`, dependencies first, as paths relative to
    `destination`."""
    return module_load_order(destination, extract_modules(deb, destination), wanted)


def extract_modules(deb, destination):
    """Unpacks the modules of MODULE_DIRECTORIES from the package into `destination`, flat;
    returns {module name: file name}. (The package carries no modules.dep, which depmod
    makes at installation: the dependencies come from each module's .modinfo.)"""
    tree = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    paths = {}
    try:
        os.makedirs(destination, exist_ok=True)
        with tarfile.open(fileobj=tree.stdout, mode="r|") as archive:
            for member in archive:
                if not (member.isfile() and MODULE_DIRECTORIES.fullmatch(member.name)):
                    continue
                # By base name, flat: no name in the package can place a file elsewhere.
                name = os.path.basename(member.name)
                with archive.extractfile(member) as source, open(os.path.join(destination, name), "wb") as target:
                    shutil.copyfileobj(source, target)
                paths[module_name(name)] = name
    finally:
        tree.stdout.close()
        if tree.wait() != 0:
            raise RuntimeError(f"dpkg-deb --fsys-tarfile {deb} failed with status {tree.returncode}")
    return paths


def module_load_order(destination, paths, wanted):
    """The files of the `wanted` modules and of everything they depend on (read from the
    files in `destination`), each after its dependencies."""
    order = []

    def visit(name, chain):
        if name in order:
            return
        if name in chain or name not in paths:
            raise RuntimeError(f"the module {name} is missing or depends on itself ({' -> '.join(chain)})")
        for dependency in module_dependencies(os.path.join(destination, paths[name])):
            visit(dependency, chain + [name])
        order.append(name)

    for name in wanted:
        visit(name, [])
    return [paths[name] for name in order]


def build_peer(source, output):
    """Compiles the peer program as a static glibc executable."""
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    subprocess.run(
        ["clang++", "-std=c++20", "-O2", "-static", "-pthread", "-Wall", "-Wextra", "-Werror",
         "-o", output, source],
        check=True)
    return output


def newc_entry(inode, mode, name, data=b"", nlink=1, rdev_major=0, rdev_minor=0):
    """One member of a "newc" cpio archive (the initramfs format the kernel unpacks).

    The header is "070701" and 13 eight-digit hex fields; the name (with its NUL) is padded
    so the data starts on a 4-byte boundary, and the data is padded to 4 bytes as well.
    Owner, group and time are 0 so the same input gives the same archive.
    """
    encoded_name = name.encode() + b"\0"
    fields = [
        inode, mode, 0, 0, nlink, 0, len(data),
        0, 0, rdev_major, rdev_minor, len(encoded_name), 0,
    ]
    header = b"070701" + b"".join(f"{field:08x}".encode() for field in fields)

    def padding(length):
        return b"\0" * (-length % 4)

    entry = header + encoded_name
    entry += padding(len(entry))
    entry += data + padding(len(data))
    return entry


def make_initramfs(init_binary, output, modules_directory=None, modules=()):
    """Writes an uncompressed newc initramfs holding dev/, dev/console (5:1) and /init; and,
    for the disk benchmarks, modules/ with `modules` (files in `modules_directory`) and
    modules/order listing them in loading order."""
    with open(init_binary, "rb") as binary:
        init_data = binary.read()
    entries = [
        newc_entry(1, 0o040755, "dev", nlink=2),
        # The kernel opens /dev/console for init's standard streams; without the node
        # init would start with none and its output would be lost.
        newc_entry(2, 0o020600, "dev/console", rdev_major=5, rdev_minor=1),
        newc_entry(3, 0o100755, "init", init_data),
    ]
    if modules:
        entries.append(newc_entry(4, 0o040755, "modules", nlink=2))
        entries.append(newc_entry(5, 0o100644, "modules/order", "".join(f"{name}\n" for name in modules).encode()))
        for inode, name in enumerate(modules, start=6):
            with open(os.path.join(modules_directory, name), "rb") as module:
                entries.append(newc_entry(inode, 0o100644, f"modules/{name}", module.read()))
    entries.append(newc_entry(0, 0, "TRAILER!!!"))
    archive = b"".join(entries)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "wb") as archive_file:
        archive_file.write(archive)
    return output


def kernel_timer_frequency(vmlinuz):
    """CONFIG_HZ of the kernel, from the config-VERSION file unpacked beside vmlinuz-VERSION."""
    directory, name = os.path.split(vmlinuz)
    config_path = os.path.join(directory, name.replace("vmlinuz-", "config-", 1))
    with open(config_path) as config:
        match = re.search(r"^CONFIG_HZ=(\d+)$", config.read(), re.MULTILINE)
    if not match:
        raise RuntimeError(f"{config_path} sets no CONFIG_HZ")
    return int(match.group(1))


def kernel_command_line(vmlinuz, smp, icount):
    """The kernel's command line, with two additions for several CPUs under icount.

    Under -icount QEMU runs the CPUs in turn on one host thread, and a turn lasts until
    the next timer deadline unless the CPU halts or executes `pause`.
    - Every CPU but the first measures its own loops_per_jiffy by timing delay loops
      against the tick, which it sees advance only between turns: the measurement does
      not converge. With the TSC at exactly 1 GHz the right figure is known, ticks per
      second over CONFIG_HZ, and `lpj=` hands it to every CPU (the first CPU's own
      calibration from the PIT lands within a few parts per million of it).
    - The boot CPU waits for each starting CPU in a loop that only calls schedule(), so it
      keeps every turn and the starting CPU can wait minutes. `maxcpus=1` boots on one CPU;
      the peer, as init, brings the others online with a `pause` loop running beside it.
    """
    if not icount or smp < 2:
        return KERNEL_COMMAND_LINE
    loops_per_jiffy = ICOUNT_TSC_HZ // kernel_timer_frequency(vmlinuz)
    return f"{KERNEL_COMMAND_LINE} lpj={loops_per_jiffy} maxcpus=1"


def qemu_command(vmlinuz, initramfs, smp, icount, disks=None, peer=None):
    """The QEMU command; with `disks` ("PATH:KIND", as qemu_runner.disk_arguments takes
    them), the disks attached and `peer=PEER` on the command line (`disks` unless `peer`
    names another measurement, such as `files`)."""
    if disks and peer is None:
        peer = "disks"
    append = kernel_command_line(vmlinuz, smp, icount) + (f" peer={peer}" if peer else "")
    command = [
        "qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-smp", str(smp), "-m", "256M",
        "-kernel", vmlinuz, "-initrd", initramfs, "-append", append,
        "-serial", "stdio", "-display", "none", "-monitor", "none", "-no-reboot",
    ] + qemu_runner.disk_arguments(disks)
    if icount:
        # Guest time counts instructions, 1 ns each, and the TSC follows it: one tick is
        # one instruction, the unit of RaeenOS's own benchmarks.
        command += ["-icount", "shift=0,sleep=off"]
    return command


class _RunArguments:
    """What qemu_runner.run_with_timeout reads from its argparse namespace."""

    def __init__(self, timeout, log_path):
        self.timeout = timeout
        self.log = log_path
        self.until = DONE_LINE.pattern
        self.expect = None
        self.reject = None
        self.expect_exit = None


def boot(vmlinuz, initramfs, smp, icount, timeout, log_path, disks=None, peer=None):
    """Boots the initramfs and returns the console text once the program has printed
    "[BENCH] done" (QEMU is stopped there: nothing after it matters, and the disks, if any,
    are scratch copies that the program has unmounted).

    Raises BootTimeout when "[BENCH] done" has not appeared after `timeout` seconds. The
    console text is written to log_path in either case.
    """
    command = qemu_command(vmlinuz, initramfs, smp, icount, disks, peer)
    # qemu_runner's loop (the one every RaeenOS boot uses), with its echo of the console
    # kept out of this tool's output.
    saved = sys.stdout
    try:
        with open(os.devnull, "w") as sink:
            sys.stdout = sink
            qemu_runner.run_with_timeout(command, _RunArguments(timeout, log_path))
    finally:
        sys.stdout = saved
    with open(log_path) as log:
        text = log.read()
    if not DONE_LINE.search(text):
        raise BootTimeout(f"no '[BENCH] done' after {timeout} s; console in {log_path}")
    return text


def parse_results(text):
    """Turns the program's "[BENCH]" lines into a dict.

    Sampled metrics become {"n", "min", "median", "p99"} (ticks), nanosecond figures
    {"value"}, and "tsc_ticks_per_microsecond" a float. Raises BenchmarkError when the
    program reported an error or did not finish.
    """
    errors = [match.group(1).strip() for match in ERROR_LINE.finditer(text)]
    if errors:
        raise BenchmarkError("the peer reported: " + "; ".join(errors))
    if not DONE_LINE.search(text):
        raise BenchmarkError("the peer's output has no '[BENCH] done' line")
    results = {}
    for match in SAMPLED_LINE.finditer(text):
        count, minimum, median, p99 = (int(group) for group in match.group(2, 3, 4, 5))
        results[match.group(1)] = {"n": count, "min": minimum, "median": median, "p99": p99}
    for match in NANOSECONDS_LINE.finditer(text):
        results[match.group(1)] = {"value": int(match.group(2))}
    calibration = CALIBRATION_LINE.search(text)
    if not calibration:
        raise BenchmarkError("the peer's output has no tsc_ticks_per_microsecond line")
    results["tsc_ticks_per_microsecond"] = float(calibration.group(1))
    return results


def sampled_metric_problems(results):
    """Reasons the sampled figures cannot be right: no samples, or order statistics out of order."""
    problems = []
    sampled = {name: figures for name, figures in results.items() if isinstance(figures, dict) and "n" in figures}
    if not sampled:
        problems.append("no sampled metric in the output")
    for name, figures in sampled.items():
        if figures["n"] <= 0:
            problems.append(f"{name}: n={figures['n']}")
        if not figures["min"] <= figures["median"] <= figures["p99"]:
            problems.append(f"{name}: min={figures['min']} median={figures['median']} p99={figures['p99']} out of order")
    return problems


def run(arguments):
    build_dir = os.path.abspath(arguments.build_dir)
    kernel = fetch_kernel(os.path.join(build_dir, "kernel"))
    binary = build_peer(PEER_SOURCE, os.path.join(build_dir, "linux-peer"))
    initramfs = make_initramfs(binary, os.path.join(build_dir, "linux-peer-initramfs.cpio"))
    mode = "icount" if arguments.icount else "tcg"
    log_path = os.path.join(build_dir, f"linux-peer-smp{arguments.smp}-{mode}.log")
    started = time.monotonic()
    text = boot(kernel.path, initramfs, arguments.smp, arguments.icount, arguments.timeout, log_path)
    wall_seconds = time.monotonic() - started
    results = parse_results(text)
    problems = sampled_metric_problems(results)
    if problems:
        raise BenchmarkError("; ".join(problems))
    # The metrics stay at the top level, as parse_results returns them; how they were
    # measured goes under "run", which is not a metric name.
    results["run"] = {
        "kernel_package": kernel.package,
        "kernel_version": kernel.version,
        "qemu_command": qemu_command(kernel.path, initramfs, arguments.smp, arguments.icount),
        "smp": arguments.smp,
        "icount": arguments.icount,
        "boot_wall_seconds": round(wall_seconds, 1),
    }
    os.makedirs(os.path.dirname(os.path.abspath(arguments.json)), exist_ok=True)
    with open(arguments.json, "w") as output:
        json.dump(results, output, indent=2)
        output.write("\n")
    for line in text.splitlines():
        if line.startswith("[BENCH]"):
            print(line)
    print(f"linux_peer: {kernel.package} {kernel.version}, {arguments.smp} CPU(s), "
          f"{'icount' if arguments.icount else 'host clock'}, {wall_seconds:.1f} s; figures in {arguments.json}")
    return 0


def check_quick(arguments):
    # An absolute path, because the program starts itself again through argv[0].
    binary = os.path.abspath(arguments.binary)
    completed = subprocess.run([binary, "--quick"], capture_output=True, text=True, timeout=arguments.timeout)
    sys.stdout.write(completed.stdout)
    if completed.returncode != 0:
        print(f"check-quick: {arguments.binary} --quick exited with status {completed.returncode}")
        sys.stdout.write(completed.stderr)
        return 1
    try:
        results = parse_results(completed.stdout)
    except BenchmarkError as error:
        print(f"check-quick: {error}")
        return 1
    problems = sampled_metric_problems(results)
    for problem in problems:
        print(f"check-quick: {problem}")
    if problems:
        return 1
    sampled_count = sum(1 for figures in results.values() if isinstance(figures, dict) and "n" in figures)
    print(f"check-quick: {sampled_count} sampled metrics and the TSC calibration parsed")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    subcommands = parser.add_subparsers(dest="command", required=True)

    run_parser = subcommands.add_parser("run", help="fetch the kernel, build, boot and write the figures")
    run_parser.add_argument("--build-dir", required=True, help="where the kernel, binary, initramfs and logs go")
    run_parser.add_argument("--smp", type=int, default=1)
    run_parser.add_argument("--icount", action="store_true", help="count instructions: -icount shift=0,sleep=off")
    run_parser.add_argument("--timeout", type=float, default=900, help="seconds before the boot is given up")
    run_parser.add_argument("--json", required=True, help="file for the parsed figures")

    quick_parser = subcommands.add_parser("check-quick", help="run the peer on the host with --quick and check it")
    quick_parser.add_argument("--binary", required=True)
    quick_parser.add_argument("--timeout", type=float, default=120)

    arguments = parser.parse_args()
    if arguments.command == "run":
        for tool in ("qemu-system-x86_64", "clang++", "apt-get", "dpkg-deb"):
            if shutil.which(tool) is None:
                raise SystemExit(f"linux_peer: {tool} not found")
        try:
            return run(arguments)
        except (BenchmarkError, BootTimeout) as error:
            print(f"linux_peer: {error}", file=sys.stderr)
            return 1
    return check_quick(arguments)


if __name__ == "__main__":
    sys.exit(main())
