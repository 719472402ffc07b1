#!/usr/bin/env python3
"""RaeenOS's benchmarks side by side with Linux (`./raeen bench`, docs/perf/README.md).

  bench.py run --build-dir DIR [--check] [--record] [--modes instructions,time] [--no-linux]
               [--runs benchmarks,boot,disks,files]
  bench.py check --results FILE [--gates FILE]

`run` boots the release test kernel with `test=bench` and the release ISO (for boot to the
first process), and a Debian kernel with a static benchmark program as /init
(Tests/Bench/LinuxPeer.cpp, Tools/linux_peer.py), each in QEMU with the same fixed flags:

  - instruction mode, `-icount shift=0,sleep=off`: the guest clock, and so rdtsc, counts
    guest instructions, the same on every host and every run;
  - time mode, plain TCG: wall time on this host, noisy.

Single-CPU metrics come from `-smp 1` boots, cross-CPU ones from `-smp 2`. In time mode it
also measures the disks (three raw images) and the ext2 file system (a copy of one mke2fs
image for each system). `--runs` picks which of these boots happen (all by default). It writes
build/bench/results.md (one table, both systems, the ratio), results.json (everything
parsed) and slo_results.json (the instruction-mode figures under the keys of the gates
file, in the format of the project rules' section 93). `--check` then fails if any metric is
past its gate in Tests/Bench/slo_gates.toml; `--record` copies the table to
docs/perf/results.md with the QEMU version and the host CPU.
"""
import argparse
import dataclasses
import datetime
import json
import os
import platform
import re
import select
import shutil
import subprocess
import sys
import time
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linux_peer  # noqa: E402
import qemu_runner  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GATES_FILE = os.path.join(ROOT, "Tests", "Bench", "slo_gates.toml")
RECORD_FILE = os.path.join(ROOT, "docs", "perf", "results.md")
MODES = ("instructions", "time")
# The kinds of boot a run can make (--runs): the kernel benchmarks, boot to the first
# process and the prompt, the disks and the file system (those two in time mode only).
RUNS = ("benchmarks", "boot", "disks", "files")

SAMPLES_LINE = re.compile(
    r"\[BENCH\] (?P<test>\S+) (?P<metric>[^:]+): n=(?P<n>\d+) min=(?P<min>\d+) median=(?P<median>\d+) "
    r"p99=(?P<p99>\d+) max=(?P<max>\d+) mean=(?P<mean>\d+) (?P<unit>\S+)")
VALUE_LINE = re.compile(r"\[BENCH\] (?P<test>\S+) (?P<metric>[^:]+): (?P<value>\d+) (?P<unit>\S+)\s*$")
TSC_LINE = re.compile(r"TSC measured against it: (\d+) kHz|TSC runs at (\d+) kHz")
FIRST_PROCESS_LINE = re.compile(r"started as process 1 at (\d+) ns")
# The shell's first prompt (Userland/Shell/Shell.cpp logs it), on the same clock.
SHELL_PROMPT_LINE = re.compile(r"user: shell: first prompt at (\d+) ns")


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One metric both systems measure the same way."""
    key: str
    title: str
    raeenos_test: str  # suite.name of the kernel benchmark, or "boot" for the boot log
    smp: int
    linux_key: str
    # Where both sides' figures are: "smpN" (the benchmark boots) unless this names
    # another run ("disks": the boots with disks attached).
    run: str = ""


COMPARISONS = [
    Comparison("null_syscall", "null system call round trip (Linux: getppid)",
               "syscalls.null_call_round_trip", 1, "null_syscall"),
    Comparison("ipc_round_trip_same_cpu", "IPC call and reply, same CPU (Linux: pipe ping-pong)",
               "ipc.call_round_trip_same_cpu", 1, "ipc_round_trip_same_cpu"),
    Comparison("ipc_round_trip_cross_cpu", "IPC call and reply, across CPUs (Linux: pipe ping-pong)",
               "ipc.call_round_trip_cross_cpu", 2, "ipc_round_trip_cross_cpu"),
    Comparison("ipc_register_round_trip_same_cpu",
               "IPC call and reply in registers, same CPU (Linux: pipe ping-pong)",
               "ipc.register_call_round_trip_same_cpu", 1, "ipc_round_trip_same_cpu"),
    Comparison("ipc_register_round_trip_cross_cpu",
               "IPC call and reply in registers, across CPUs (Linux: pipe ping-pong)",
               "ipc.register_call_round_trip_cross_cpu", 2, "ipc_round_trip_cross_cpu"),
    Comparison("yield_round_trip", "yield round trip between two processes, one CPU",
               "tasks.yield_round_trip_between_processes", 1, "yield_round_trip"),
    Comparison("anonymous_first_touch", "anonymous page, first touch", "memory.anonymous_first_touch_fault",
               1, "anonymous_first_touch"),
    Comparison("thread_create_join", "thread create and join", "tasks.thread_create_and_join", 1,
               "thread_create_join"),
    Comparison("process_spawn", "process spawn, run to exit, wait (Linux: fork, exec, wait)",
               "tasks.process_spawn_and_wait", 1, "process_spawn"),
    Comparison("boot_to_first_process", "boot to the first user process (kernel clock)", "boot", 1,
               "boot_to_first_process"),
    # Linux's peer is its /init, with no shell behind it: RaeenOS's figure stands alone.
    Comparison("boot_to_shell_prompt", "boot to the shell's prompt (kernel clock)", "boot-prompt", 1,
               "boot_to_shell_prompt"),
]

# The disks both systems read in the disk benchmarks (time mode only: under icount a guest
# waiting for a device halts, and its clock jumps to its next timer, so instruction counts
# of I/O measure timer periods, not drivers). Each a 16 MiB raw image on its controller.
DISK_BYTES = 16 * 1024 * 1024
DISKS = (("vda", "virtio", "virtio-blk"), ("sda", "ahci", "AHCI"), ("nvme0n1", "nvme", "NVMe"))
DISK_COMPARISONS = [
    comparison
    for name, _, title in DISKS
    for comparison in (
        Comparison(f"disk_{name}_random_read_4k_qd1", f"{title}: 4 KiB random read, queue depth 1",
                   f"block.{name}.random_read_4k_qd1", 1, f"block_{name}_random_read_4k_qd1", "disks"),
        Comparison(f"disk_{name}_sequential_read", f"{title}: sequential read of 16 MiB, 32 KiB requests",
                   f"block.{name}.sequential_read", 1, f"block_{name}_sequential_read", "disks"),
    )
]
BLOCK_DONE_LINE = re.compile(r"\[BENCH\] block done")

# The file system benchmarks (time mode only, as the disks): /tests/file-bench on RaeenOS
# (Userland/Tests/FileBench.cpp) and the Linux peer's peer=files, each on its own copy of
# one ext2 image that mke2fs makes, attached on virtio-blk as vda.
FILE_IMAGE_SIZE = "64M"
FILE_BYTES = 4 * 1024 * 1024
FILES_CREATED = 200
FILE_COMPARISONS = [
    Comparison("files_sequential_write", "ext2: sequential write of 4 MiB in 32 KiB writes, fsync",
               "files.sequential_write", 1, "files_sequential_write", "files"),
    Comparison("files_sequential_read_cold", "ext2: sequential read of 4 MiB in 32 KiB reads, after a remount",
               "files.sequential_read_cold", 1, "files_sequential_read_cold", "files"),
    Comparison("files_sequential_read_warm", "ext2: the same read again (cached)",
               "files.sequential_read_warm", 1, "files_sequential_read_warm", "files"),
    Comparison("files_create_empty", f"ext2: create {FILES_CREATED} empty files in a new directory, then sync",
               "files.create_empty", 1, "files_create_empty", "files"),
]
# What each file metric moved, for its rate: bytes (MiB/s) or files (files/s).
FILE_RATES = {
    "files_sequential_write": (FILE_BYTES, "MiB/s"),
    "files_sequential_read_cold": (FILE_BYTES, "MiB/s"),
    "files_sequential_read_warm": (FILE_BYTES, "MiB/s"),
    "files_create_empty": (FILES_CREATED, "files/s"),
}
FILES_DONE_LINE = re.compile(r"\[BENCH\] files done")


def parse_raeenos_benchmarks(text):
    """{test: {"n","min","median","p99","max","mean","unit"} or {"value","unit"}} from a test=bench log.
    A test that reports several metrics keeps the first (the kernel ones report one each that
    a comparison uses)."""
    results = {}
    for line in text.splitlines():
        match = SAMPLES_LINE.search(line)
        if match:
            entry = {name: int(match.group(name)) for name in ("n", "min", "median", "p99", "max", "mean")}
            entry["unit"] = match.group("unit")
            entry["metric"] = match.group("metric")
            results.setdefault(match.group("test"), entry)
            continue
        match = VALUE_LINE.search(line)
        if match:
            results.setdefault(match.group("test"),
                               {"value": int(match.group("value")), "unit": match.group("unit"),
                                "metric": match.group("metric")})
    return results


def parse_tsc_ticks_per_microsecond(text):
    """The kernel's TSC frequency as it measured it (the last such line), in ticks per µs."""
    frequency_khz = None
    for match in TSC_LINE.finditer(text):
        frequency_khz = int(match.group(1) or match.group(2))
    if frequency_khz is None:
        raise ValueError("no TSC frequency in the kernel log")
    return frequency_khz / 1000.0


def parse_first_process_ns(text):
    match = FIRST_PROCESS_LINE.search(text)
    if not match:
        raise ValueError("the kernel never said it started process 1")
    return int(match.group(1))


def parse_shell_prompt_ns(text):
    match = SHELL_PROMPT_LINE.search(text)
    if not match:
        raise ValueError("the shell never showed its prompt")
    return int(match.group(1))


def qemu_version():
    output = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
    return output.splitlines()[0].strip() if output else "unknown"


def host_cpu():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


class RunArguments:
    """What qemu_runner.run_with_timeout reads from its argparse namespace."""

    def __init__(self, timeout, log, until=None, expect_exit=None):
        self.timeout = timeout
        self.log = log
        self.until = until
        self.expect = None
        self.reject = None
        self.expect_exit = expect_exit


def boot_raeenos(build_dir, smp, icount, log_path, timeout):
    """Runs every kernel benchmark; returns the console text."""
    release = os.path.join(build_dir, "kernel-release")
    iso = os.path.join(build_dir, "bench", "raeenos-bench.iso")
    qemu_runner.make_iso.make_iso(os.path.join(release, "raeenos-test.elf"), iso,
                                  "test=bench panic=qemu-exit log=info",
                                  initrd=os.path.join(release, "initrd.tar"))
    command = qemu_runner.qemu_command(iso, False, smp, "256M", test_device=True,
                                       icount=0 if icount else None)
    return run_quietly(command, RunArguments(timeout, log_path, expect_exit="tests-passed"))


def boot_raeenos_to_first_process(build_dir, icount, log_path, timeout):
    iso = os.path.join(build_dir, "raeenos-release.iso")
    command = qemu_runner.qemu_command(iso, False, 1, "256M", test_device=True, icount=0 if icount else None)
    # On to the shell's prompt, which comes after the first process.
    return run_quietly(command, RunArguments(timeout, log_path, until=SHELL_PROMPT_LINE.pattern, expect_exit="pattern"))


def make_disk_images(bench_dir):
    """The three images, DISK_BYTES each, filled with a fixed pattern; "PATH:KIND" each."""
    directory = os.path.join(bench_dir, "disks")
    os.makedirs(directory, exist_ok=True)
    pattern = bytes((index * 7 + 3) & 0xFF for index in range(4096)) * (DISK_BYTES // 4096)
    disks = []
    for _, kind, _ in DISKS:
        path = os.path.join(directory, f"{kind}.img")
        with open(path, "wb") as image:
            image.write(pattern)
        disks.append(f"{path}:{kind}")
    return disks


def host_tool(name):
    """The path of an e2fsprogs tool: on PATH, or in the sbin folders a user's PATH may lack."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        raise SystemExit(f"bench: {name} not found (Debian's e2fsprogs; ./raeen deps installs it)")
    return found


def make_file_system_images(bench_dir):
    """One ext2 image made by mke2fs (4 KiB blocks, FILE_IMAGE_SIZE), copied byte for byte
    for each system, so both start from the same volume; the two copies as "PATH:virtio",
    RaeenOS's first."""
    directory = os.path.join(bench_dir, "files")
    os.makedirs(directory, exist_ok=True)
    original = os.path.join(directory, "ext2.img")
    if os.path.exists(original):
        os.unlink(original)
    made = subprocess.run([host_tool("mke2fs"), "-q", "-F", "-t", "ext2", "-b", "4096", original, FILE_IMAGE_SIZE],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise SystemExit(f"bench: mke2fs failed: {made.stdout}{made.stderr}")
    copies = []
    for system in ("raeenos", "linux"):
        copy = os.path.join(directory, f"ext2-{system}.img")
        shutil.copyfile(original, copy)
        copies.append(f"{copy}:virtio")
    return tuple(copies)


def file_system_is_clean(disk):
    """Whether e2fsck, reading only, finds the image a file benchmark left consistent."""
    path = disk.rpartition(":")[0]
    return subprocess.run([host_tool("e2fsck"), "-fn", path], capture_output=True).returncode == 0


def boot_raeenos_disks(build_dir, icount, log_path, timeout, disks):
    """Boots the release ISO with the disks, runs /tests/block-bench on all three at the
    shell's prompt, and returns the console text once it is done."""
    names = " ".join(name for name, _, _ in DISKS)
    return boot_raeenos_at_prompt(build_dir, icount, log_path, timeout, disks, f"/tests/block-bench {names}",
                                  BLOCK_DONE_LINE, "the disk benchmarks")


def boot_raeenos_files(build_dir, icount, log_path, timeout, disk):
    """Boots the release ISO with the ext2 image as vda, runs /tests/file-bench on it at the
    shell's prompt, and returns the console text once it is done."""
    return boot_raeenos_at_prompt(build_dir, icount, log_path, timeout, [disk], "/tests/file-bench vda",
                                  FILES_DONE_LINE, "the file system benchmarks")


def boot_raeenos_at_prompt(build_dir, icount, log_path, timeout, disks, typed_command, done_line, what):
    """Boots the release ISO with `disks`, types `typed_command` at the shell's prompt, and
    returns the console text once `done_line` appears; stops the bench if it never does or
    the program reported an error."""
    iso = os.path.join(build_dir, "raeenos-release.iso")
    command = qemu_runner.qemu_command(iso, False, 1, "256M", icount=0 if icount else None)
    command += qemu_runner.disk_arguments(disks)
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = b""
    typed = False
    timed_out = False
    deadline = time.monotonic() + timeout
    # The log is written as the console goes, so that a run that hangs can be read while
    # it does.
    with open(log_path, "wb") as log:
        try:
            while not done_line.search(output.decode(errors="replace")):
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                if process.poll() is not None:
                    break
                ready, _, _ = select.select([process.stdout], [], [], 0.5)
                if ready:
                    chunk = os.read(process.stdout.fileno(), 65536)
                    output += chunk
                    log.write(chunk)
                    log.flush()
                if not typed and re.search(r"raeen:/\$ ", qemu_runner.console_view(output.decode(errors="replace"))):
                    process.stdin.write(f"{typed_command}\r".encode())
                    process.stdin.flush()
                    typed = True
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
    text = output.decode(errors="replace")
    if timed_out:
        raise SystemExit(f"bench: {what} logged in {log_path} did not finish within {timeout:g} s")
    if not done_line.search(text) or "[BENCH] error" in text:
        raise SystemExit(f"bench: {what} logged in {log_path} did not finish")
    return text


def run_quietly(command, arguments):
    """qemu_runner's run, with its echo of the console kept out of the bench output; stops
    the bench if the boot did not end as expected."""
    saved = sys.stdout
    try:
        with open(os.devnull, "w") as sink:
            sys.stdout = sink
            status = qemu_runner.run_with_timeout(command, arguments)
    finally:
        sys.stdout = saved
    if status != 0:
        raise SystemExit(f"bench: the boot logged in {arguments.log} did not end as expected")
    with open(arguments.log) as log:
        return log.read()


def measure(build_dir, modes, with_linux, timeout, runs=RUNS):
    """Every boot of the comparison that `runs` names; returns the results dictionary (also
    the JSON file)."""
    bench_dir = os.path.join(build_dir, "bench")
    os.makedirs(bench_dir, exist_ok=True)
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "qemu": qemu_version(),
        "host_cpu": host_cpu(),
        "qemu_flags": "-machine q35 -cpu max -m 256M, -smp 1 or 2; instruction mode adds -icount shift=0,sleep=off",
        "modes": {},
    }
    kernel = None
    initramfs = os.path.join(bench_dir, "linux", "initramfs.cpio")
    timed = "time" in modes
    if with_linux:
        kernel = linux_peer.fetch_kernel(os.path.join(bench_dir, "linux"))
        peer_binary = os.path.join(bench_dir, "linux", "linux-peer")
        linux_peer.build_peer(os.path.join(ROOT, "Tests", "Bench", "LinuxPeer.cpp"), peer_binary)
        linux_peer.make_initramfs(peer_binary, initramfs)
        if timed and ("disks" in runs or "files" in runs):
            modules_directory = os.path.join(bench_dir, "linux", "modules")
            module_paths = linux_peer.extract_modules(kernel.deb, modules_directory)
            disk_initramfs = linux_peer.make_initramfs(
                peer_binary, os.path.join(bench_dir, "linux", "disk-initramfs.cpio"), modules_directory,
                linux_peer.module_load_order(modules_directory, module_paths, linux_peer.DISK_MODULES))
            files_initramfs = linux_peer.make_initramfs(
                peer_binary, os.path.join(bench_dir, "linux", "files-initramfs.cpio"), modules_directory,
                linux_peer.module_load_order(modules_directory, module_paths, linux_peer.FILE_SYSTEM_MODULES))
        results["linux_kernel"] = f"{kernel.package} {kernel.version}"
    disks = make_disk_images(bench_dir) if timed and "disks" in runs else []
    file_images = make_file_system_images(bench_dir) if timed and "files" in runs else None
    for mode in modes:
        icount = mode == "instructions"
        mode_results = {"raeenos": {}, "linux": {}}
        if "benchmarks" in runs:
            for smp in (1, 2):
                log_path = os.path.join(bench_dir, f"raeenos-{mode}-smp{smp}.log")
                print(f"bench: RaeenOS, {mode} mode, {smp} CPU(s)", flush=True)
                text = boot_raeenos(build_dir, smp, icount, log_path, timeout)
                mode_results["raeenos"][f"smp{smp}"] = {
                    "benchmarks": parse_raeenos_benchmarks(text),
                    "tsc_ticks_per_microsecond": parse_tsc_ticks_per_microsecond(text),
                }
        if "boot" in runs:
            log_path = os.path.join(bench_dir, f"raeenos-{mode}-boot.log")
            print(f"bench: RaeenOS, {mode} mode, boot to the first process and the shell's prompt", flush=True)
            boot_text = boot_raeenos_to_first_process(build_dir, icount, log_path, timeout)
            mode_results["raeenos"]["boot_to_first_process_ns"] = parse_first_process_ns(boot_text)
            mode_results["raeenos"]["boot_to_shell_prompt_ns"] = parse_shell_prompt_ns(boot_text)
        if mode == "time" and "disks" in runs:
            log_path = os.path.join(bench_dir, f"raeenos-{mode}-disks.log")
            print(f"bench: RaeenOS, {mode} mode, the disks", flush=True)
            text = boot_raeenos_disks(build_dir, icount, log_path, timeout, disks)
            mode_results["raeenos"]["disks"] = {
                "benchmarks": parse_raeenos_benchmarks(text),
                "tsc_ticks_per_microsecond": parse_tsc_ticks_per_microsecond(text),
            }
        if mode == "time" and "files" in runs:
            log_path = os.path.join(bench_dir, f"raeenos-{mode}-files.log")
            print(f"bench: RaeenOS, {mode} mode, the ext2 file system", flush=True)
            text = boot_raeenos_files(build_dir, icount, log_path, timeout, file_images[0])
            mode_results["raeenos"]["files"] = {
                "benchmarks": parse_raeenos_benchmarks(text),
                "tsc_ticks_per_microsecond": parse_tsc_ticks_per_microsecond(text),
                "image_clean": file_system_is_clean(file_images[0]),
            }
        if with_linux:
            if "benchmarks" in runs or "boot" in runs:
                for smp in (1, 2):
                    log_path = os.path.join(bench_dir, f"linux-{mode}-smp{smp}.log")
                    print(f"bench: Linux, {mode} mode, {smp} CPU(s)", flush=True)
                    text = linux_peer.boot(kernel.path, initramfs, smp, icount, timeout, log_path)
                    mode_results["linux"][f"smp{smp}"] = linux_peer.parse_results(text)
            if mode == "time" and "disks" in runs:
                log_path = os.path.join(bench_dir, f"linux-{mode}-disks.log")
                print(f"bench: Linux, {mode} mode, the disks", flush=True)
                text = linux_peer.boot(kernel.path, disk_initramfs, 1, icount, timeout, log_path, disks)
                mode_results["linux"]["disks"] = linux_peer.parse_results(text)
            if mode == "time" and "files" in runs:
                log_path = os.path.join(bench_dir, f"linux-{mode}-files.log")
                print(f"bench: Linux, {mode} mode, the ext2 file system", flush=True)
                text = linux_peer.boot(kernel.path, files_initramfs, 1, icount, timeout, log_path,
                                       [file_images[1]], peer="files")
                mode_results["linux"]["files"] = linux_peer.parse_results(text)
                mode_results["linux"]["files"]["image_clean"] = file_system_is_clean(file_images[1])
        for system in ("raeenos", "linux"):
            files = mode_results[system].get("files")
            if files is not None and not files["image_clean"]:
                print(f"bench: warning: e2fsck -fn finds the ext2 image {system} left inconsistent", file=sys.stderr)
        results["modes"][mode] = mode_results
    with open(os.path.join(bench_dir, "results.json"), "w") as output:
        json.dump(results, output, indent=2)
    return results


def comparison_figures(mode, mode_results, comparison):
    """(RaeenOS {"min","median","p99"}, Linux {...}) for one comparison, in the mode's
    unit (instructions, or ns in time mode); None where a side has no figure."""
    def to_unit(ticks, ticks_per_microsecond):
        if mode == "instructions":
            return ticks
        return round(ticks * 1000.0 / ticks_per_microsecond)

    smp_key = comparison.run or f"smp{comparison.smp}"
    raeenos = None
    if comparison.raeenos_test in ("boot", "boot-prompt"):
        key = "boot_to_first_process_ns" if comparison.raeenos_test == "boot" else "boot_to_shell_prompt_ns"
        value = mode_results["raeenos"].get(key)
        if value is not None:
            raeenos = {"min": None, "median": value, "p99": None}
    else:
        run = mode_results["raeenos"].get(smp_key, {})
        entry = run.get("benchmarks", {}).get(comparison.raeenos_test)
        if entry and "median" in entry:
            rate = run["tsc_ticks_per_microsecond"]
            raeenos = {field: to_unit(entry[field], rate) for field in ("min", "median", "p99")}
    linux = None
    run = mode_results["linux"].get(smp_key)
    if run:
        entry = run.get(comparison.linux_key)
        if entry and "value" in entry:
            linux = {"min": None, "median": entry["value"], "p99": None}
        elif entry:
            rate = run["tsc_ticks_per_microsecond"]
            linux = {field: to_unit(entry[field], rate) for field in ("min", "median", "p99")}
    return raeenos, linux


def format_figure(figure, field):
    if figure is None or figure.get(field) is None:
        return "—"
    return f"{figure[field]:,}"


def format_triple(figure):
    """min / median / p99, or the one value of a single-figure metric."""
    if figure is None:
        return "—"
    if figure.get("min") is None and figure.get("p99") is None:
        return format_figure(figure, "median")
    return " / ".join(format_figure(figure, field) for field in ("min", "median", "p99"))


def ratio(raeenos, linux):
    if not raeenos or not linux or not linux["median"]:
        return "—"
    return f"{raeenos['median'] / linux['median']:.2f}"


def results_table(results):
    """The Markdown report: one table per mode, RaeenOS next to Linux, and the ratio of the
    medians (below 1: RaeenOS is faster)."""
    lines = [
        "# RaeenOS and Linux, side by side",
        "",
        f"Measured {results['date']} by `./raeen bench` on {results['host_cpu']}, {results['qemu']}.",
        f"QEMU: {results['qemu_flags']}.",
    ]
    if "linux_kernel" in results:
        lines.append(f"Linux: Debian's `{results['linux_kernel']}`, `/init` = Tests/Bench/LinuxPeer.cpp.")
    lines.append("")
    for mode, mode_results in results["modes"].items():
        heading = "Instruction mode (guest instructions)" if mode == "instructions" else "Time mode (ns of wall time)"
        lines += [f"## {heading}", "",
                  "| metric | CPUs | RaeenOS min / median / p99 | Linux min / median / p99 | ratio of medians |",
                  "| --- | --- | --- | --- | --- |"]
        for comparison in COMPARISONS + (DISK_COMPARISONS if mode == "time" else []):
            raeenos, linux = comparison_figures(mode, mode_results, comparison)
            lines.append(f"| {comparison.title} | {comparison.smp} | {format_triple(raeenos)} | "
                         f"{format_triple(linux)} | {ratio(raeenos, linux)} |")
        if mode == "time":
            lines += ["", "Sequential read throughput (16 MiB over its time above):", "",
                      "| disk | RaeenOS MiB/s | Linux MiB/s |", "| --- | --- | --- |"]
            for name, _, title in DISKS:
                sequential = next(c for c in DISK_COMPARISONS if c.key == f"disk_{name}_sequential_read")
                raeenos, linux = comparison_figures(mode, mode_results, sequential)

                def throughput(figure):
                    if not figure or not figure.get("median"):
                        return "—"
                    return f"{DISK_BYTES / (figure['median'] / 1e9) / (1 << 20):,.1f}"

                lines.append(f"| {title} | {throughput(raeenos)} | {throughput(linux)} |")
            lines += file_system_table(mode_results)
        lines += ["", "RaeenOS alone (kernel benchmarks, `-smp 2`):", "",
                  "| benchmark | metric | median | p99 | unit |", "| --- | --- | --- | --- | --- |"]
        run = mode_results["raeenos"].get("smp2", {})
        for test, entry in sorted(run.get("benchmarks", {}).items()):
            median = entry.get("median", entry.get("value"))
            p99 = entry.get("p99")
            unit = entry["unit"]
            if mode == "time" and unit == "ticks":
                # Each side's own TSC rate turns ticks into ns (instruction mode: 1 per ns).
                rate = run["tsc_ticks_per_microsecond"]
                median = round(median * 1000.0 / rate)
                p99 = None if p99 is None else round(p99 * 1000.0 / rate)
                unit = "ns"
            shown_p99 = "—" if p99 is None else f"{p99:,}"
            lines.append(f"| `{test}` | {entry['metric']} | {median:,} | {shown_p99} | {unit} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def file_rate(comparison, figure):
    """MiB/s or files/s of one file metric's time, as text ("—" without a figure)."""
    if not figure or not figure.get("median"):
        return "—"
    amount, unit = FILE_RATES[comparison.key]
    seconds = figure["median"] / 1e9
    if unit == "MiB/s":
        return f"{amount / seconds / (1 << 20):,.1f} MiB/s"
    return f"{amount / seconds:,.0f} files/s"


def file_system_table(mode_results):
    """The time-mode section of the file system benchmarks: each span in ns on both systems,
    the ratio, and what it comes to per second."""
    lines = ["", "### File systems", "",
             f"ext2, a copy of one `mke2fs -t ext2 -b 4096` image of {FILE_IMAGE_SIZE} for each system, on "
             "virtio-blk, one CPU; each figure is one timed span from open to close (docs/filesystems.md#benchmarks).",
             "", "| metric | RaeenOS ns | Linux ns | ratio | RaeenOS rate | Linux rate |",
             "| --- | --- | --- | --- | --- | --- |"]
    for comparison in FILE_COMPARISONS:
        raeenos, linux = comparison_figures("time", mode_results, comparison)
        lines.append(f"| {comparison.title} | {format_figure(raeenos, 'median')} | {format_figure(linux, 'median')} "
                     f"| {ratio(raeenos, linux)} | {file_rate(comparison, raeenos)} | {file_rate(comparison, linux)} |")
    return lines


def slo_results(results):
    """The instruction-mode figures of RaeenOS under the gates' keys: KEY_median and KEY_p99."""
    metrics = {}
    mode_results = results["modes"].get("instructions")
    if mode_results:
        for comparison in COMPARISONS:
            raeenos, _ = comparison_figures("instructions", mode_results, comparison)
            if raeenos is None:
                continue
            metrics[f"{comparison.key}_median_instructions"] = raeenos["median"]
            if raeenos.get("p99") is not None:
                metrics[f"{comparison.key}_p99_instructions"] = raeenos["p99"]
    return {"platform": f"qemu-tcg-q35 ({results['qemu']}, {results['host_cpu']})", "mode": "instructions",
            "metrics": metrics}


def check_gates(slo, gates_path):
    """The gate violations: (key, value, limit) for every gated metric past its max, and a
    missing figure for a gated metric is a violation too (value None)."""
    with open(gates_path, "rb") as gates_file:
        gates = tomllib.load(gates_file)["slo_gates"]
    violations = []
    for key, gate in gates.items():
        value = slo["metrics"].get(key)
        if value is None or value > gate["max"]:
            violations.append((key, value, gate["max"]))
    return violations


def report_violations(violations):
    for key, value, limit in violations:
        shown = "missing" if value is None else f"{value:,}"
        print(f"bench: gate failed: {key} = {shown} (max {limit:,})", file=sys.stderr)


def run(arguments):
    modes = [mode.strip() for mode in arguments.modes.split(",") if mode.strip()]
    for mode in modes:
        if mode not in MODES:
            raise SystemExit(f"unknown mode {mode!r} (modes: {', '.join(MODES)})")
    if arguments.check and "instructions" not in modes:
        raise SystemExit("--check needs the instruction mode")
    runs = [run_name.strip() for run_name in arguments.runs.split(",") if run_name.strip()]
    for run_name in runs:
        if run_name not in RUNS:
            raise SystemExit(f"unknown run {run_name!r} (runs: {', '.join(RUNS)})")
    if arguments.check and not {"benchmarks", "boot"} <= set(runs):
        raise SystemExit("--check needs the benchmarks and boot runs (the gated metrics)")
    results = measure(arguments.build_dir, modes, not arguments.no_linux, arguments.timeout, runs)
    bench_dir = os.path.join(arguments.build_dir, "bench")
    table = results_table(results)
    with open(os.path.join(bench_dir, "results.md"), "w") as output:
        output.write(table)
    slo = slo_results(results)
    with open(os.path.join(bench_dir, "slo_results.json"), "w") as output:
        json.dump(slo, output, indent=2)
    print(table)
    if arguments.record:
        os.makedirs(os.path.dirname(RECORD_FILE), exist_ok=True)
        shutil.copyfile(os.path.join(bench_dir, "results.md"), RECORD_FILE)
        print(f"bench: recorded in {os.path.relpath(RECORD_FILE, ROOT)}")
    if arguments.check:
        violations = check_gates(slo, arguments.gates)
        report_violations(violations)
        if violations:
            return 1
        print("bench: every metric is within its gate")
    return 0


def check(arguments):
    with open(arguments.results) as results_file:
        slo = json.load(results_file)
    violations = check_gates(slo, arguments.gates)
    report_violations(violations)
    return 1 if violations else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run")
    run_parser.add_argument("--build-dir", required=True)
    run_parser.add_argument("--modes", default="instructions,time")
    run_parser.add_argument("--runs", default=",".join(RUNS),
                            help="which boots to make: benchmarks, boot, disks, files (the last two in time mode)")
    run_parser.add_argument("--check", action="store_true")
    run_parser.add_argument("--record", action="store_true")
    run_parser.add_argument("--no-linux", action="store_true")
    run_parser.add_argument("--gates", default=GATES_FILE)
    run_parser.add_argument("--timeout", type=float, default=900)
    check_parser = commands.add_parser("check")
    check_parser.add_argument("--results", required=True)
    check_parser.add_argument("--gates", default=GATES_FILE)
    arguments = parser.parse_args()
    if arguments.command == "run":
        return run(arguments)
    return check(arguments)


if __name__ == "__main__":
    sys.exit(main())
