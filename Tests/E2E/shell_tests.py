#!/usr/bin/env python3
"""End-to-end tests of RaeenOS's shell, driven over the serial console as a user types.

  shell_tests.py --iso ISO --log FILE SCENARIO

Each scenario boots the real ISO in QEMU (SeaBIOS, two CPUs; one for files and ext2),
waits for the shell's prompt, types command lines and checks what comes back. Scenarios:
  language     pipelines, redirection, exit statuses, quoting, variables, background jobs,
               ps and kill, scripts, line editing and history
  supervision  a service that crashes on purpose is restarted by init with growing
               delays, then quarantined
  shutdown     `shutdown` powers the machine off: QEMU exits by itself
  screen       keys typed on the PS/2 keyboard reach the shell, the framebuffer shows the
               console's text in the font, and Shift+Page Up and Down scroll its history
  disks        raw disk images on virtio-blk, AHCI and NVMe controllers (the runner's --disk)
               show up in lspci
  legacy-pci   on QEMU's i440FX machine, which has no MCFG, lspci through the configuration
               ports
  files        the file utilities on /tmp (tmpfs), with exact outputs: mkdir, cp -r, mv, rm,
               rmdir, touch, truncate, chmod, ln -s, stat, ls -l, df, > and >>, and their
               errors; mount and umount of a tmpfs, a private one under unshare; the RAM disk
               read-only; /tests/fs-tests /tmp
  ext2         an ext2 volume (1 KiB blocks) mke2fs made from a host tree (a 3 MiB file into
               double indirect blocks, a subdirectory, fast and slow links, mode 0600 and a set
               mtime) read through a read-only mount, which leaves the image as it was; then
               changed through the shell (writes, appends, copies, renames, removals, links,
               chmod, a hole, a directory of 300 entries), written back when idle, mounted
               again, unmounted, and the machine powered off; on the host e2fsck -fn finds it
               clean and debugfs shows every change. Before that /tests/fs-tests mounts a
               second, empty volume and checks the POSIX semantics on it; then its driver is
               killed under a mount: umount reports EIO and ends the mount, and the volume
               mounts again through the restarted driver
  crash        on an ext2 volume, files fsynced and a rename fsynced through its directory,
               then QEMU killed in the middle of a write-back: the volume as left and a copy
               e2fsck -fy repaired both hold them as they were
  fat          a FAT32 volume mkfs.fat made and mcopy filled (a long name, a subdirectory, a file
               of 1,024 clusters) mounted by detection, read, changed through the shell (writes,
               appends, copies, renames, removals, a directory of long names, chmod a-w and u+w
               as the read-only attribute) and refusing links and other modes; then fsck.fat -n
               finds it clean and mtools (mcopy, mattrib) reads back every change.
               Before that /tests/fs-tests --no-links-or-permissions on a second, empty volume
Every wait has a hard timeout; the serial log is written to FILE either way.
"""
import argparse
import hashlib
import os
import re
import select
import shutil
import socket
import subprocess
import tarfile
import tempfile
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tools"))
import generate_console_font  # noqa: E402
import qemu_runner  # noqa: E402

# The console font the build converts (Kernel/CMakeLists.txt, RAEEN_CONSOLE_FONT).
CONSOLE_FONT = "/usr/share/consolefonts/Uni2-Terminus16.psf.gz"

# A kernel log record: "[     1.234567] info  ...".
KERNEL_RECORD = re.compile(r"^\[ *[0-9]+\.[0-9]{6}\] ")
# A kernel log record as it can land inside a line of the shell's output, splitting an echo.
INLINE_RECORD = qemu_runner.INLINE_RECORD


def echo_pattern(text):
    """A pattern for `text` as echoed, with any kernel records between its characters."""
    return f"(?:{INLINE_RECORD})*".join(re.escape(character) for character in text)


class TestFailure(Exception):
    pass


class Session:
    def __init__(self, iso, log_path, monitor_path=None, disks=None, machine="q35", iommu=False, smp=2):
        command = qemu_runner.qemu_command(iso, uefi=False, smp=smp, memory="256M", machine=machine, iommu=iommu)
        command += qemu_runner.disk_arguments(disks)
        self.monitor = None
        if monitor_path:
            # QEMU's human monitor on a socket: keys for the PS/2 keyboard, screen dumps.
            command[command.index("-monitor") + 1] = f"unix:{monitor_path},server,nowait"
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        self.raw = ""
        self.output = ""
        self.log_path = log_path
        self.iso = iso
        if monitor_path:
            deadline = time.monotonic() + 10
            while self.monitor is None:
                try:
                    self.monitor = socket.socket(socket.AF_UNIX)
                    self.monitor.connect(monitor_path)
                except OSError:
                    self.monitor = None
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            self.monitor_command("info version")

    def monitor_command(self, command):
        """Sends one monitor command and waits for its prompt to come back."""
        self.monitor.sendall((command + "\n").encode())
        received = b""
        deadline = time.monotonic() + 20
        while not received.rstrip().endswith(b"(qemu)"):
            if time.monotonic() > deadline:
                raise TestFailure(f"the monitor did not answer {command!r}")
            ready, _, _ = select.select([self.monitor], [], [], 0.5)
            if ready:
                received += self.monitor.recv(65536)
        return received.decode("utf-8", "replace")

    def press(self, keys):
        for key in keys:
            self.monitor_command(f"sendkey {key}")

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.pump(0)
        with open(self.log_path, "w") as log:
            log.write(self.output)

    def pump(self, timeout):
        """Reads what QEMU printed, waiting at most `timeout` seconds for something."""
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(self.process.stdout.fileno(), 65536)
        if not chunk:
            return False
        # Normalised as a whole: a "\r\n" can be split between two reads.
        self.raw += chunk.decode("utf-8", "replace")
        self.output = self.raw.replace("\r\n", "\n")
        return True

    def wait_for(self, pattern, timeout, start=0):
        """Waits until the output from `start` on matches `pattern`; returns the match."""
        deadline = time.monotonic() + timeout
        expression = re.compile(pattern, re.MULTILINE)
        while True:
            match = expression.search(self.output, start)
            if match:
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (not self.pump(min(remaining, 0.5)) and self.process.poll() is not None):
                raise TestFailure(f"no /{pattern}/ within {timeout} s; the output ends with:\n"
                                  + self.output[-1500:])

    def type(self, keys):
        self.process.stdin.write(keys.encode())
        self.process.stdin.flush()

    def run(self, line, timeout=60):
        """Types `line` and Enter, waits for the next prompt, and returns what the command
        printed (the lines between the echoed command and the prompt)."""
        start = len(self.output)
        self.type(line + "\r")
        # The echo of the line, then the next prompt.
        echoed = self.wait_for(echo_pattern(line.split("\x1b")[0][:20]), timeout, start)
        prompt = self.wait_for(r"^raeen:[^\n$]*\$ ", timeout, echoed.end())
        # Records that split a line of the output are taken out, however many in a row (the
        # second starts a line of the raw output, but not of the output without the first);
        # those at the start of a line are left out below.
        text = re.sub(r"(?<=[^\n])(?:" + INLINE_RECORD + ")+", "", self.output[echoed.end():prompt.start()])
        # The rest of the echoed line (and any redraw) ends at the first newline. The kernel
        # log shares the serial port: its records are whole lines, left out here.
        newline = text.find("\n")
        text = text[newline + 1:] if newline >= 0 else ""
        return "".join(line for line in text.splitlines(keepends=True) if not KERNEL_RECORD.match(line))


def expect_equal(what, actual, expected):
    if actual != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {actual!r}")


def expect_lines(session, line, expected):
    expect_equal(line, session.run(line), "".join(text + "\n" for text in expected))


def status_of(session, line):
    session.run(line)
    return session.run("echo $?").strip()


def language(session):
    # Pipelines: each stage a process, the data through channels.
    expect_lines(session, "echo one two three | wc -w", ["      3 "])
    expect_lines(session, "cat /etc/services | grep -c service | cat", ["12"])
    expect_lines(session, "ls /bin | grep -v sh | grep ech", ["echo"])
    # Redirection: input from a file, output to /dev/null, standard error into a pipe.
    expect_lines(session, "grep -c crasher < /etc/services", ["2"])
    expect_lines(session, "echo gone > /dev/null", [])
    expect_lines(session, "cat /no/such 2>&1 | wc -l", ["      1 "])
    expect_lines(session, "cat /no/such 2>/dev/null; echo after", ["after"])
    expect_lines(session, "echo hi > /etc/new", ["sh: /etc/new: Read-only file system"])
    # Exit statuses, ;, && and ||.
    expect_equal("true", status_of(session, "true"), "0")
    expect_equal("false", status_of(session, "false"), "1")
    expect_equal("a missing command", status_of(session, "no-such-command"), "127")
    expect_equal("grep without a match", status_of(session, "grep zzz /etc/services"), "1")
    expect_equal("a pipeline's status is its last command's", status_of(session, "false | true"), "0")
    expect_lines(session, "false && echo no; false || echo yes; true && echo and", ["yes", "and"])
    expect_lines(session, "exit_code_test=5; echo $?", ["0"])
    # A program that faults is ended, and its status says so (-1000 less the vector).
    expect_equal("a crash", status_of(session, "crasher"), "-1014")
    # Quoting and variables.
    expect_lines(session, "name=world; echo \"hello $name\" 'not $name' \\$name ${name}!", ["hello world not $name $name world!"])
    expect_lines(session, "export GREETING='a  b'; env | grep GREETING", ["GREETING=a  b"])
    expect_lines(session, "echo \"$UNSET_VARIABLE\"end", ["end"])
    # Background jobs: the shell goes on, and reports the job when it ends.
    started = session.run("sleep 1 & echo right-away")
    if "[1] started  sleep 1" not in started or "right-away" not in started:
        raise TestFailure(f"background job: got {started!r}")
    session.run("wait")
    done = session.output.rfind("[1] done (status 0)  sleep 1")
    if done < 0:
        raise TestFailure("the background job's end was not reported")
    # Processes: ps lists them, kill ends one by its id, process 1 is refused.
    session.run("sleep 60 &")
    listing = session.run("ps")
    sleeper = re.search(r"^ *([0-9]+) running +1 sleep$", listing, re.MULTILINE)
    if not sleeper or not re.search(r"^ *[0-9]+ running +[0-9]+ init$", listing, re.MULTILINE):
        raise TestFailure(f"ps: got {listing!r}")
    start = len(session.output)
    session.run(f"kill {sleeper.group(1)}")
    session.run("wait")
    # Reported before the prompt after the kill or after the wait, whichever comes first.
    if session.output.find("done (status -2000)  sleep 60", start) < 0:
        raise TestFailure("the killed job's end was not reported")
    expect_lines(session, "kill 1", ["kill: 1: not permitted"])
    # The wall clock, formatted: this year, as the host has it (UTC).
    year = session.run("date +%Y").strip()
    if year != time.strftime("%Y", time.gmtime()):
        raise TestFailure(f"date +%Y: got {year!r}")
    # The RTC service reads the CMOS clock: today's date, as the host has it (UTC).
    clock = session.run("hwclock").strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC", clock) \
            or clock[:10] != time.strftime("%Y-%m-%d", time.gmtime()):
        raise TestFailure(f"hwclock: got {clock!r}")
    # Scripts, with their arguments.
    expect_lines(session, "sh /tests/script.sh first second", ["script: first second", "status 1", "done"])
    # A ported program's view: argv, environ, the terminal, system, spawn and pipes, directories.
    expect_lines(session, "/tests/posix a 'b c'", ["posix-tests: passed"])
    # The device manager's PCI functions: q35's host bridge and SATA controller among them.
    functions = session.run("lspci")
    for expected in ("00:00.0 Host bridge [0600]: 8086:29c0", "00:1f.2 SATA controller [0106]: 8086:2922 (rev 02)"):
        if expected not in functions:
            raise TestFailure(f"lspci: no {expected!r} in {functions!r}")
    # A sourced script runs in the shell, and the line that sourced it goes on after it.
    expect_lines(session, "source /tests/script.sh x y && echo sourced", ["script: x y", "status 1", "done", "sourced"])
    # A builtin's "2>&1 >file": errors where standard output was, the rest to the file.
    expect_lines(session, "cd /nowhere 2>&1 >/dev/null", ["cd: /nowhere: No such file or directory"])
    expect_lines(session, "pwd 2>&1 >/dev/null", [])
    # The working directory.
    # A relative listing after cd counts what the absolute one counts.
    programs = session.run("ls /bin | wc -l").strip("\n")
    expect_lines(session, "cd /bin; pwd; ls | wc -l; cd ..; pwd", ["/bin", programs, "/"])
    # Line editing: two steps left, a character in the middle; then the history.
    expect_lines(session, "echo abc\x1b[D\x1b[DX", ["aXbc"])
    expect_lines(session, "\x1b[A", ["aXbc"])
    # ^C abandons a line: nothing runs.
    start = len(session.output)
    session.type("echo never\x03")
    session.wait_for(r"\^C\n", 10, start)
    expect_lines(session, "echo after-cancel", ["after-cancel"])


def supervision(session):
    start = len(session.output)
    expect_lines(session, "service start crasher", [])
    # Restarted with doubling delays, then quarantined after the fifth crash in 30 s.
    for delay in (100, 200, 400, 800):
        session.wait_for(rf"user: init: crasher exited with status -1014; restarting in {delay} ms", 30, start)
    session.wait_for(r"user: init: crasher exited with status -1014; quarantined after 5 crashes in 30 s", 30, start)
    expect_lines(session, "service status crasher", ["crasher quarantined"])
    # The rest of the system is unaffected.
    expect_lines(session, "echo still-here", ["still-here"])
    # Asked for by name, a quarantined service starts again (and crashes again).
    start = len(session.output)
    expect_lines(session, "service start crasher", [])
    session.wait_for(r"user: init: crasher exited with status -1014; restarting in 100 ms", 30, start)
    session.run("service stop crasher")
    expect_lines(session, "service status crasher", ["crasher stopped"])


def shutdown(session):
    session.type("shutdown\r")
    session.wait_for(r"power: power off asked by shutdown", 30)
    deadline = time.monotonic() + 30
    while session.process.poll() is None and time.monotonic() < deadline:
        session.pump(0.5)
    if session.process.poll() is None:
        raise TestFailure("QEMU is still running 30 s after shutdown")


class Screen:
    """A screen dump (PPM) read as character cells of the console font."""

    def __init__(self, path):
        with open(path, "rb") as dump:
            data = dump.read()
        fields = data.split(maxsplit=4)
        if fields[0] != b"P6" or fields[3] != b"255":
            raise TestFailure("the screen dump is not a PPM")
        self.width, self.height, self.pixels = int(fields[1]), int(fields[2]), fields[4]
        with open(CONSOLE_FONT, "rb") as font_file:
            self.font = generate_console_font.parse_font(font_file.read())

    def pixel(self, x, y):
        offset = (y * self.width + x) * 3
        return tuple(self.pixels[offset:offset + 3])

    def shows(self, row, text, foreground=(170, 170, 170), background=(0, 0, 0)):
        """Whether the cells of `row` from column 0 hold `text`, pixel for pixel."""
        width, height = self.font.width, self.font.height
        row_bytes = (width + 7) // 8
        for column, character in enumerate(text):
            glyph = self.font.glyphs[self.font.mapping.get(ord(character), 0)]
            for y in range(height):
                for x in range(width):
                    lit = (glyph[y * row_bytes + x // 8] >> (7 - x % 8)) & 1
                    expected = foreground if lit else background
                    if self.pixel(column * width + x, row * height + y) != expected:
                        return False
        return True


def settled_screen(session, path):
    """A screen dump once the console has finished drawing: two dumps in a row the same."""
    previous = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        session.monitor_command(f"screendump {path}")
        with open(path, "rb") as dump:
            current = dump.read()
        if current == previous:
            return Screen(path)
        previous = current
        time.sleep(0.3)
    raise TestFailure("the screen never settled")


def screen(session):
    scratch = tempfile.mkdtemp(prefix="raeenos-screen-")
    dump = os.path.join(scratch, "screen.ppm")

    # Typed on the PS/2 keyboard: the driver, the console service and the shell's echo.
    # The driver drops what the controller held before it started (and on a busy host it
    # can start after the prompt): keys go once it says it is ready.
    session.wait_for(r"ps2: ready: keyboard", 30)
    start = len(session.output)
    session.press(["e", "c", "h", "o", "spc", "shift-k", "b", "d", "ret"])
    session.wait_for(r"^Kbd$", 30, start)
    session.wait_for(r"^raeen:/\$ ", 30, session.output.find("Kbd", start))
    shown = settled_screen(session, dump)
    for row, text in enumerate(["RaeenOS shell. Type help for help.", "raeen:/$ echo Kbd", "Kbd", "raeen:/$ "]):
        if not shown.shows(row, text):
            raise TestFailure(f"the screen's row {row} does not show {text!r}")
    # Enough output to scroll the greeting off the screen (48 rows), then the scrollback.
    session.run("cat /etc/services; cat /etc/services; cat /etc/services; ls /bin")
    if settled_screen(session, dump).shows(0, "RaeenOS shell"):
        raise TestFailure("the greeting did not scroll away")
    session.press(["shift-pgup"] * 8)
    if not settled_screen(session, dump).shows(0, "RaeenOS shell. Type help for help."):
        raise TestFailure("Shift+Page Up did not bring the greeting back")
    session.press(["shift-pgdn"] * 8)
    if settled_screen(session, dump).shows(0, "RaeenOS shell"):
        raise TestFailure("Shift+Page Down did not return to the live screen")
    # The PS/2 mouse, through the same driver as the keyboard: QEMU's monitor moves it (12
    # right, 7 up) and presses the left button; the mouse utility prints both events.
    start = len(session.output)
    session.type("mouse -n 2\r")
    echoed = session.wait_for(echo_pattern("mouse -n 2"), 30, start)
    # The utility is reading once the shell has started it; events before that would be
    # kept by the channel anyway (it drops only when full).
    time.sleep(0.5)
    session.monitor_command("mouse_move 12 -7")
    session.monitor_command("mouse_button 1")
    session.monitor_command("mouse_button 0")
    prompt = session.wait_for(r"^raeen:/\$ ", 30, echoed.end())
    events = [line for line in session.output[echoed.end():prompt.start()].splitlines()
              if line.startswith("dx=")]
    if events != ["dx=12 dy=7 wheel=0 buttons=-", "dx=0 dy=0 wheel=0 buttons=L"]:
        raise TestFailure(f"mouse: got {events!r}")
    os.unlink(dump)
    os.rmdir(scratch)


def host_pattern(sectors):
    # Byte i of sector n is (31n + i) mod 256: /tests/block-check reads it back.
    return bytes(((sector * 31 + offset) & 0xFF) for sector in range(sectors) for offset in range(512))


def guest_pattern(first, count):
    # What /tests/block-check writes to sectors 100-107.
    return bytes((((sector * 17 + offset + 1) & 0xFF) ^ 0xA5)
                 for sector in range(first, first + count) for offset in range(512))


def check_every_disk(session):
    """The three disks, each served by its driver, read and written through it."""
    # q35's own AHCI controller holds only the boot CD, so its driver finds nothing and
    # names no disk (once the device manager has seen it end).
    session.wait_for(r"devices: sd[a-z]: the driver found nothing to drive", 20)
    devices = session.run("lsblk")
    if "sdb" in devices:
        raise TestFailure(f"lsblk: q35's AHCI controller has no disk, but {devices!r}")
    for name, driver in (("vda", "virtio-blk"), ("sda", "ahci"), ("nvme0n1", "nvme")):
        if not re.search(rf"^{name}\s+1M 0  disk {driver}$", devices, re.M):
            raise TestFailure(f"lsblk: no 1M {driver} disk {name} in {devices!r}")
    # Through each driver: the host's pattern read, bad requests refused, a new pattern
    # written, flushed and read back; then the image on the host holds it.
    for name, kind in (("vda", "virtio"), ("sda", "ahci"), ("nvme0n1", "nvme")):
        expect_lines(session, f"/tests/block-check {name}", [f"block-check: {name} passed"])
        with open(session.disk_paths[kind], "rb") as image:
            contents = image.read()
        if contents[100 * 512:108 * 512] != guest_pattern(100, 8):
            raise TestFailure(f"the {kind} image does not hold what block-check wrote")
        if contents[:100 * 512] != host_pattern(100) or contents[108 * 512:] != host_pattern(2048)[108 * 512:]:
            raise TestFailure(f"the {kind} image changed outside the sectors block-check wrote")


def disks(session):
    # The three kinds of disk controller --disk attaches, as the device manager finds them.
    functions = session.run("lspci")
    for expected in ("SCSI storage controller [0100]: 1af4:1042", "SATA controller [0106]: 8086:2922",
                     "Non-Volatile memory controller [0108]: 1b36:0010"):
        if expected not in functions:
            raise TestFailure(f"lspci: no {expected!r} in {functions!r}")
    if functions.count("SATA controller [0106]: 8086:2922") != 2:
        raise TestFailure(f"lspci: q35's AHCI controller and the attached one expected in {functions!r}")
    # Their windows, sized by the device manager: virtio's 64-bit prefetchable one, NVMe's
    # registers, AHCI's ABAR.
    verbose = session.run("lspci -v")
    for pattern in (r"1af4:1042[^\n]*\n(\t[^\n]*\n)*\tMemory at [0-9a-f]+ \(64-bit, prefetchable\) \[size=16K\]",
                    r"1b36:0010[^\n]*\n(\t[^\n]*\n)*\tMemory at [0-9a-f]+ \(64-bit, non-prefetchable\) \[size=16K\]",
                    r"8086:2922[^\n]*\n(\t[^\n]*\n)*\tMemory at [0-9a-f]+ \(32-bit, non-prefetchable\) \[size=4K\]"):
        if not re.search(pattern, verbose.replace("\r\n", "\n")):
            raise TestFailure(f"lspci -v: no match for {pattern!r} in {verbose!r}")
    check_every_disk(session)
    # The driver killed: the device manager notices, starts it again after its delay, and
    # the new driver serves the disk; the kernel and the shell stay up.
    driver = re.search(r"^\s*(\d+) \S+\s+\d+ vda\s*$", session.run("ps"), re.M)
    if not driver:
        raise TestFailure("ps: no process vda (the virtio-blk driver)")
    # A client reading in the background while the driver is killed: its request in flight
    # fails, and once the device manager has restarted the driver a new channel serves.
    before_start = len(session.output)
    session.run("/tests/block-check --across-restart vda &")
    # The driver is killed only once the client has been served at least once.
    session.wait_for(r"block-check: vda: reading", 20, before_start)
    session.run(f"kill {driver.group(1)}")
    session.wait_for(r"block-check: vda: served again after its driver's restart", 20)
    restarted = re.search(r"^\s*(\d+) \S+\s+\d+ vda\s*$", session.run("ps"), re.M)
    if not restarted or restarted.group(1) == driver.group(1):
        raise TestFailure("the killed virtio-blk driver was not started again")
    # Drivers answer their health checks (one every 2 s), idle or serving: after a few of
    # them none was taken for hung, and the disk still reads.
    session.run("sleep 5")
    expect_lines(session, "/tests/block-check sda", ["block-check: sda passed"])
    if "has not answered its health check" in session.output:
        raise TestFailure("a serving driver was taken for hung")
    expect_lines(session, "/tests/block-check vda", ["block-check: vda passed"])


def disks_behind_the_iommu(session):
    # The same three controllers behind an Intel IOMMU: each driver's DMA memory is mapped in
    # its device's domain and nothing else is, and that is enough for every driver.
    if not re.search(r"iommu: unit at 0x[0-9a-f]+ translates", session.output):
        raise TestFailure("the kernel did not turn the IOMMU on")
    check_every_disk(session)
    # A restarted driver gets the function's domain anew (the old one goes with the old
    # driver's memory) and serves again.
    driver = re.search(r"^\s*(\d+) \S+\s+\d+ nvme0n1\s*$", session.run("ps"), re.M)
    if not driver:
        raise TestFailure("ps: no process nvme0n1 (the NVMe driver)")
    before_kill = len(session.output)
    session.run(f"kill {driver.group(1)}")
    session.wait_for(r"devices: nvme0n1: started /bin/nvme", 20, before_kill)
    session.run("sleep 1")
    expect_lines(session, "/tests/block-check nvme0n1", ["block-check: nvme0n1 passed"])
    if "iommu: blocked" in session.output:
        raise TestFailure("a driver's device was blocked by the IOMMU")


def legacy_pci(session):
    # QEMU's older "pc" machine (i440FX) has no MCFG: the device manager falls back to the
    # configuration ports.
    functions = session.run("lspci")
    for expected in ("00:00.0 Host bridge [0600]: 8086:1237", "00:01.0 ISA bridge [0601]: 8086:7000",
                     "00:01.1 IDE interface [0101]: 8086:7010"):
        if expected not in functions:
            raise TestFailure(f"lspci: no {expected!r} in {functions!r}")
    # Windows are sized through the ports too (the IDE controller's bus-master ports); the
    # VGA framebuffer, in use by the console, is listed where it is and left alone.
    verbose = session.run("lspci -v").replace("\r\n", "\n")
    for pattern in (r"8086:7010[^\n]*\n(\t[^\n]*\n)*\tI/O ports at [0-9a-f]+ \[size=16\]",
                    r"1234:1111[^\n]*\n(\t[^\n]*\n)*\tMemory at [0-9a-f]+ \(32-bit, prefetchable\) \[in use, not sized\]"):
        if not re.search(pattern, verbose):
            raise TestFailure(f"lspci -v: no match for {pattern!r} in {verbose!r}")
    if "pci: no MCFG; only the legacy configuration ports" not in session.output:
        raise TestFailure("the kernel did not say the machine has no MCFG")
    if "warn  acpi: no usable MCFG" in session.output:
        raise TestFailure("a machine without an MCFG is warned about")


def expect_match(session, line, pattern):
    """Runs `line`; what it prints must match `pattern` whole."""
    output = session.run(line)
    if not re.fullmatch(pattern, output):
        raise TestFailure(f"{line}: expected /{pattern}/, got {output!r}")


def expect_fs_tests(session, line, directory, timeout):
    """Runs /tests/fs-tests; its last line must say that `directory` passed."""
    output = session.run(line, timeout)
    if not output.endswith(f"fs-tests: {directory} passed\n"):
        raise TestFailure(f"{line}: got {output[-1500:]!r}")


def files(session):
    # Making, copying, moving and removing on /tmp (tmpfs), with GNU's messages and statuses.
    expect_lines(session, "mkdir -p /tmp/e/a/b && echo hello > /tmp/e/a/f && cp -r /tmp/e/a /tmp/e/c && ls /tmp/e/c",
                 ["b", "f"])
    expect_lines(session, "cat /tmp/e/c/f", ["hello"])
    expect_lines(session, "mv /tmp/e/c/f /tmp/e/g && ls /tmp/e", ["a", "c", "g"])
    expect_lines(session, "rm /tmp/e/a; echo $?", ["rm: cannot remove '/tmp/e/a': Is a directory", "1"])
    expect_lines(session, "rm -r /tmp/e/c && ls /tmp/e", ["a", "g"])
    expect_lines(session, "rmdir /tmp/e/a; echo $?", ["rmdir: failed to remove '/tmp/e/a': Directory not empty", "1"])
    expect_lines(session, "mkdir /tmp/e/a; echo $?", ["mkdir: cannot create directory '/tmp/e/a': File exists", "1"])
    expect_lines(session, "rm /tmp/e/none; rm -f /tmp/e/none; echo $?",
                 ["rm: cannot remove '/tmp/e/none': No such file or directory", "0"])
    expect_lines(session, "mv /tmp/e/a /tmp/e/a/b/c; echo $?",
                 ["mv: cannot move '/tmp/e/a' to a subdirectory of itself, '/tmp/e/a/b/c'", "1"])
    # Sizes, types and permissions, as stat prints them.
    expect_lines(session, "touch /tmp/e/t && stat -c '%s %F %a' /tmp/e/t", ["0 regular empty file 644"])
    expect_lines(session, "truncate -s 1K /tmp/e/t && stat -c '%s %F' /tmp/e/t", ["1024 regular file"])
    expect_lines(session, "chmod 750 /tmp/e/t && stat -c '%a %A' /tmp/e/t", ["750 -rwxr-x---"])
    expect_lines(session, "chmod go-x,u-w /tmp/e/t && stat -c '%a %A' /tmp/e/t", ["540 -r-xr-----"])
    expect_lines(session, "ln -s t /tmp/e/l && stat -c '%N|%F|%s' /tmp/e/l", ["/tmp/e/l -> t|symbolic link|1"])
    expect_lines(session, "stat -L -c '%s %F' /tmp/e/l; cat /tmp/e/l | wc -c", ["1024 regular file", "   1024 "])
    # Redirections: > makes or empties, >> appends.
    expect_lines(session, "echo one > /tmp/e/x; echo two >> /tmp/e/x; cat /tmp/e/x", ["one", "two"])
    expect_lines(session, "echo three > /tmp/e/x; cat /tmp/e/x", ["three"])
    # Into a directory: cp of several files (a copy has its source's permissions), mv.
    expect_lines(session, "cp /tmp/e/x /tmp/e/t /tmp/e/a && mv /tmp/e/a/x /tmp/e/a/b && ls /tmp/e/a /tmp/e/a/b",
                 ["/tmp/e/a:", "b", "f", "t", "/tmp/e/a/b:", "x"])
    expect_lines(session, "stat -c %a /tmp/e/a/t", ["540"])
    date = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}"
    expect_match(session, "ls -l /tmp/e",
                 rf"drwxr-xr-x +3 +[0-9]+ {date} a\n-rw-r--r-- +1 +6 {date} g\nlrwxrwxrwx +1 +1 {date} l -> t\n"
                 rf"-r-xr----- +1 +1024 {date} t\n-rw-r--r-- +1 +6 {date} x\n")
    expect_lines(session, "rm -rf /tmp/e/a && ls /tmp/e", ["g", "l", "t", "x"])
    expect_match(session, "df /tmp", r"Filesystem +1K-blocks +Used +Available +Use% +Mounted on\n"
                                     r"tmpfs +65536 +[0-9]+ +[0-9]+ +[0-9]+% /tmp\n")
    # The mount table; a tmpfs mounted on /mnt, and gone with what it held once unmounted.
    expect_lines(session, "mount", ["initrd on / type initramfs (ro)", "tmpfs on /tmp type tmpfs (rw)"])
    expect_lines(session, "mount -t tmpfs tmpfs /mnt && mount | grep mnt", ["tmpfs on /mnt type tmpfs (rw)"])
    expect_lines(session, "echo kept > /mnt/k && cat /mnt/k", ["kept"])
    expect_lines(session, "umount /mnt; mount | grep -c mnt; ls /mnt | wc -l", ["0", "      0 "])
    expect_lines(session, "umount /mnt; echo $?", ["umount: /mnt: not mounted.", "32"])
    # A mount namespace of its own: the mount is seen inside and not outside.
    expect_lines(session, "unshare sh -c 'mount -t tmpfs tmpfs /mnt && touch /mnt/inside && ls /mnt'", ["inside"])
    expect_lines(session, "mount | grep -c mnt; ls /mnt | wc -l", ["0", "      0 "])
    # The working directory on tmpfs.
    expect_lines(session, "cd /tmp/e && pwd && ls && cd .. && pwd", ["/tmp/e", "g", "l", "t", "x", "/tmp"])
    expect_lines(session, "cd /", [])
    # The RAM disk is read-only.
    expect_lines(session, "touch /etc/x; echo $?", ["touch: cannot touch '/etc/x': Read-only file system", "1"])
    expect_lines(session, "mv /tmp/e/x /etc/x; echo $?",
                 ["mv: cannot create regular file '/etc/x': Read-only file system", "1"])
    # POSIX semantics on tmpfs, through the C library.
    expect_fs_tests(session, "/tests/fs-tests /tmp", "/tmp", 480)


def e2fs_tool(name):
    """mke2fs, e2fsck or debugfs (in /sbin, which a user's PATH may lack)."""
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/sbin/{name}"):
        if candidate and os.path.exists(candidate):
            return candidate
    raise TestFailure(f"{name} not found (Debian package e2fsprogs)")


def make_ext2_image(image, tree=None):
    """A 16 MiB ext2 volume with 1 KiB blocks, so that a file soon needs indirect blocks;
    mke2fs fills it from the host directory `tree` if there is one."""
    command = [e2fs_tool("mke2fs"), "-q", "-F", "-t", "ext2", "-b", "1024"] + (["-d", tree] if tree else [])
    subprocess.run(command + [image, "16M"], check=True, capture_output=True)


def e2fsck(image, *options):
    result = subprocess.run([e2fs_tool("e2fsck"), *options, image], capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def expect_clean(image, what):
    status, report = e2fsck(image, "-fn")
    if status != 0:
        raise TestFailure(f"e2fsck -fn on {what}: status {status}:\n{report}")


def debugfs(image, request):
    """What debugfs prints for one request (bytes; its banner and errors go to standard error)."""
    return subprocess.run([e2fs_tool("debugfs"), "-R", request, image], capture_output=True).stdout


def debugfs_listing(image, directory):
    """The entries of a directory on the image, but . and ..: {name: (mode, size)}."""
    entries = {}
    for line in debugfs(image, f"ls -p {directory}").decode().splitlines():
        fields = line.split("/")  # "/INODE/MODE/UID/GID/NAME/SIZE/"; a directory's size is empty
        # An entry of inode 0 is a removed one that began its block (ext2 keeps its place).
        if len(fields) == 8 and fields[1] != "0" and fields[5] not in (".", ".."):
            entries[fields[5]] = (int(fields[2], 8), fields[6])
    return entries


def debugfs_link(image, path):
    """A symbolic link's target: in the inode (a fast link) or in a block (cat reads it)."""
    fast = re.search(r'Fast link dest: "(.*)"', debugfs(image, f"stat {path}").decode())
    return fast.group(1) if fast else debugfs(image, f"cat {path}").decode()


def expect_file(image, path, contents):
    if debugfs(image, f"cat {path}") != contents:
        raise TestFailure(f"debugfs cat {path}: the image does not hold the {len(contents)} bytes expected")


def expect_listing(image, directory, expected):
    actual = debugfs_listing(image, directory)
    if actual != expected:
        differences = {name: (expected.get(name), actual.get(name)) for name in expected.keys() | actual.keys()
                       if expected.get(name) != actual.get(name)}
        raise TestFailure(f"debugfs ls -p {directory}: (mode, size) expected and found: {differences}")


def initrd_file(iso, name):
    """A file of the RAM disk the ISO boots with, read on the host."""
    with tempfile.TemporaryDirectory(prefix="raeenos-initrd-") as scratch:
        archive = os.path.join(scratch, "initrd.tar")
        subprocess.run(["xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/boot/initrd.tar", archive],
                       check=True, capture_output=True)
        with tarfile.open(archive) as members:
            return members.extractfile(name).read()


# The host's tree for the ext2 scenario's volume (mke2fs -d).
HELLO = b"Hello from the host\n"
INNER = b"inside the subdirectory\n"
# A name long enough that a link to it (sub/NAME) needs a block of its own: a slow link.
LONG_NAME = "a-file-with-a-name-long-enough-that-its-link-needs-a-block-of-its-own.txt"
BIG_LINES = 49152
SECRET_TIME = 1234567890
LINK_TIME = 1300000000


def big_line(number):
    # 3 MiB of 64-byte lines, each naming itself: past the 12 direct and 256 single indirect
    # blocks of a 1 KiB volume, into the double indirect ones.
    return f"L{number:07d}:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR\n"


def make_host_tree(tree):
    # Modes set whatever the umask; mke2fs -d copies them, and the times.
    for directory in ("", "sub", "sub/gone"):
        os.makedirs(os.path.join(tree, directory), exist_ok=True)
        os.chmod(os.path.join(tree, directory), 0o755)
    files = {"hello.txt": HELLO, "big.bin": "".join(big_line(number) for number in range(BIG_LINES)).encode(),
             "sub/inner.txt": INNER, f"sub/{LONG_NAME}": b"through a slow link\n", "secret": b"private\n"}
    for name, contents in files.items():
        with open(os.path.join(tree, name), "wb") as file:
            file.write(contents)
        os.chmod(os.path.join(tree, name), 0o600 if name == "secret" else 0o644)
    os.utime(os.path.join(tree, "secret"), (SECRET_TIME, SECRET_TIME))
    os.symlink("sub/inner.txt", os.path.join(tree, "link"))
    os.utime(os.path.join(tree, "link"), (LINK_TIME, LINK_TIME), follow_symlinks=False)
    os.symlink(f"sub/{LONG_NAME}", os.path.join(tree, "longlink"))
    return tree


def image_digest(image):
    with open(image, "rb") as file:
        return hashlib.sha256(file.read()).digest()


def write_new_files(session, shell, big):
    """On the volume at /mnt: /new/deep, /new/file written and appended to, and copies of
    /bin/sh and /mnt/big.bin (`shell` and `big`, their bytes) as /new/sh and /new/big-copy."""
    expect_lines(session, "mkdir -p /mnt/new/deep && echo first > /mnt/new/file && echo second >> /mnt/new/file "
                          "&& cat /mnt/new/file", ["first", "second"])
    expect_lines(session, "cp /bin/sh /mnt/new/sh && cp /mnt/big.bin /mnt/new/big-copy "
                          "&& stat -c %s /mnt/new/sh /mnt/new/big-copy", [str(len(shell)), str(len(big))])


def ext2(session):
    image, spare = session.images  # vda: made from the host's tree; vdb: empty, for fs-tests
    started = time.time()
    shell = initrd_file(session.iso, "bin/sh")
    big = "".join(big_line(number) for number in range(BIG_LINES)).encode()
    # POSIX semantics on ext2, through the C library: fs-tests mounts vdb and unmounts it.
    expect_fs_tests(session, "/tests/fs-tests --mount vdb ext2 /mnt", "/mnt", 420)
    expect_lines(session, "mount | grep -c mnt", ["0"])
    # The disk's driver killed under a mounted volume: the device manager restarts it, but the
    # service's channel to the old one is gone. The unmount's last write-back (at least the
    # device flush) fails: umount says so (EIO) and the mount is gone all the same; what was
    # synced is on the disk, and the volume mounts again through the restarted driver.
    expect_lines(session, "mount vdb /mnt && echo kept > /mnt/kept && sync", [])
    driver = re.search(r"^ *([0-9]+) +\S+ +[0-9]+ vdb$", session.run("ps"), re.MULTILINE)
    if not driver:
        raise TestFailure("ps does not list vdb's driver")
    start = len(session.output)
    expect_lines(session, f"kill {driver.group(1)}", [])
    session.wait_for(r"vdb: virtio-blk [0-9a-f:.]+: [0-9]+ sectors of", 30, start)
    expect_lines(session, "umount /mnt; echo $?; mount | grep -c mnt", ["umount: /mnt: Input/output error.", "32", "0"])
    expect_lines(session, "mount vdb /mnt && cat /mnt/kept && rm /mnt/kept && umount /mnt", ["kept"])

    # What the host wrote, read through a read-only mount (which changes nothing on the disk).
    before = image_digest(image)
    expect_lines(session, "mount -o ro -t ext2 vda /mnt && mount | grep mnt", ["vda on /mnt type ext2 (ro)"])
    expect_lines(session, "ls /mnt", ["big.bin", "hello.txt", "link", "longlink", "lost+found", "secret", "sub"])
    expect_lines(session, "cat /mnt/hello.txt", [HELLO.decode().rstrip("\n")])
    expect_lines(session, "stat -c '%s %F' /mnt/big.bin; wc -lc /mnt/big.bin",
                 ["3145728 regular file", "  49152 3145728 /mnt/big.bin"])
    expect_lines(session, "head -n 1 /mnt/big.bin; tail -n 1 /mnt/big.bin",
                 [big_line(0).rstrip("\n"), big_line(BIG_LINES - 1).rstrip("\n")])
    # Lines at bytes 640 (a direct block), 64,000 (single indirect) and 1,920,000 (double
    # indirect), each where it belongs.
    expect_lines(session, "grep -n L0000010: /mnt/big.bin; grep -n L0001000: /mnt/big.bin; "
                          "grep -n L0030000: /mnt/big.bin",
                 [f"{number + 1}:{big_line(number).rstrip()}" for number in (10, 1000, 30000)])
    expect_lines(session, "stat -c '%a %Y' /mnt/secret; cat /mnt/secret", [f"600 {SECRET_TIME}", "private"])
    link_time = time.strftime("%Y-%m-%d %H:%M", time.gmtime(LINK_TIME))
    expect_lines(session, "ls -l /mnt/link", [f"lrwxrwxrwx  1       13 {link_time} /mnt/link -> sub/inner.txt"])
    expect_lines(session, "stat -c %N /mnt/longlink", [f"/mnt/longlink -> sub/{LONG_NAME}"])
    expect_lines(session, "cat /mnt/link /mnt/longlink", [INNER.decode().rstrip("\n"), "through a slow link"])
    expect_lines(session, "touch /mnt/x; echo $?", ["touch: cannot touch '/mnt/x': Read-only file system", "1"])
    expect_lines(session, "mount -t ext2 vda /tmp; echo $?", ["mount: /tmp: vda already mounted on /mnt.", "32"])
    expect_lines(session, "umount /mnt; echo $?", ["0"])
    if image_digest(image) != before:
        raise TestFailure("a read-only mount changed the image")

    # Changes through the shell, on a read-write mount.
    expect_lines(session, "mount -t ext2 vda /mnt && mount | grep mnt", ["vda on /mnt type ext2 (rw)"])
    # A program from the RAM disk (into the single indirect blocks) and the host's 3 MiB file.
    write_new_files(session, shell, big)
    # Renames in a directory and across directories, a directory's too (its ..).
    expect_lines(session, "mv /mnt/new/file /mnt/new/renamed && mv /mnt/hello.txt /mnt/sub "
                          "&& mv /mnt/new/deep /mnt/sub/deep && ls /mnt/sub",
                 [LONG_NAME, "deep", "gone", "hello.txt", "inner.txt"])
    # Removals: the host's 3 MiB file (its indirect blocks freed), the host's empty directory,
    # one made here.
    expect_lines(session, "rm /mnt/big.bin && rmdir /mnt/sub/gone && mkdir /mnt/new/empty "
                          "&& rmdir /mnt/new/empty && ls /mnt /mnt/new",
                 ["/mnt:", "link", "longlink", "lost+found", "new", "secret", "sub",
                  "/mnt/new:", "big-copy", "renamed", "sh"])
    # Links (a fast one, and a slow one over 60 bytes), permissions, a file with a hole.
    long_target = f"../sub/{LONG_NAME}"
    expect_lines(session, f"ln -s /mnt/new/renamed /mnt/new/abs-link && ln -s {long_target} /mnt/new/long-link "
                          "&& cat /mnt/new/abs-link /mnt/new/long-link", ["first", "second", "through a slow link"])
    expect_lines(session, "chmod 750 /mnt/new/renamed && echo private > /mnt/new/private "
                          "&& chmod 600 /mnt/new/private && chmod 700 /mnt/sub/deep "
                          "&& stat -c '%a %A %n' /mnt/new/renamed /mnt/new/private /mnt/sub/deep",
                 ["750 -rwxr-x--- /mnt/new/renamed", "600 -rw------- /mnt/new/private", "700 drwx------ /mnt/sub/deep"])
    expect_lines(session, "truncate -s 100000 /mnt/new/sparse && stat -c %s /mnt/new/sparse", ["100000"])
    # A directory of 300 entries over several blocks, and every seventh removed from it
    # (there are no loops in the shell: 60 names a line).
    names = [f"entry-{number:03d}" for number in range(300)]
    removed = names[::7]
    expect_lines(session, "mkdir /mnt/many && cd /mnt/many", [])
    for first in range(0, len(names), 60):
        expect_lines(session, "touch " + " ".join(names[first:first + 60]), [])
    expect_lines(session, "rm " + " ".join(removed), [])
    expect_lines(session, "ls | wc -l; cd /", [f"    {len(names) - len(removed)} "])
    # Without a sync the service writes back after a second with no request: the disk holds
    # the new file while the volume is still mounted.
    expect_lines(session, "echo idle > /mnt/new/idle", [])
    deadline = time.monotonic() + 20
    while debugfs(image, "cat /new/idle") != b"idle\n":
        if time.monotonic() > deadline:
            raise TestFailure("a file written 20 s ago is not on the disk: no write-back when idle")
        time.sleep(0.5)
    # Mounted again, with an empty page cache: what was written reads back from the disk.
    expect_lines(session, "umount /mnt && mount -t ext2 vda /mnt && cat /mnt/new/renamed "
                          "&& wc -c /mnt/new/big-copy && ls /mnt/many | wc -l",
                 ["first", "second", "3145728 /mnt/new/big-copy", f"    {len(names) - len(removed)} "])
    expect_lines(session, "umount /mnt; echo $?", ["0"])
    shutdown(session)

    # On the host: both volumes clean, and every change where RaeenOS made it.
    expect_clean(spare, "the volume fs-tests used")
    expect_clean(image, "the volume changed through the shell")
    directory, symlink = 0o40000, 0o120000
    expect_listing(image, "/", {"lost+found": (directory | 0o700, ""), "link": (symlink | 0o777, "13"),
                                "longlink": (symlink | 0o777, str(len(f"sub/{LONG_NAME}"))),
                                "secret": (0o100600, "8"), "sub": (directory | 0o755, ""),
                                "new": (directory | 0o755, ""), "many": (directory | 0o755, "")})
    expect_listing(image, "/sub", {"inner.txt": (0o100644, str(len(INNER))), LONG_NAME: (0o100644, "20"),
                                   "hello.txt": (0o100644, str(len(HELLO))), "deep": (directory | 0o700, "")})
    expect_listing(image, "/sub/deep", {})
    expect_listing(image, "/new", {"renamed": (0o100750, "13"), "sh": (0o100755, str(len(shell))),
                                   "big-copy": (0o100644, str(len(big))), "abs-link": (symlink | 0o777, "16"),
                                   "long-link": (symlink | 0o777, str(len(long_target))),
                                   "private": (0o100600, "8"), "sparse": (0o100644, "100000"),
                                   "idle": (0o100644, "5")})
    expect_listing(image, "/many", {name: (0o100644, "0") for name in names if name not in removed})
    expect_file(image, "/new/renamed", b"first\nsecond\n")
    expect_file(image, "/new/sh", shell)
    expect_file(image, "/new/big-copy", big)
    expect_file(image, "/new/private", b"private\n")
    expect_file(image, "/sub/hello.txt", HELLO)
    expect_file(image, "/new/sparse", bytes(100000))
    if not re.search(r"Blockcount: 0\n", debugfs(image, "stat /new/sparse").decode()):
        raise TestFailure("/new/sparse: a file extended by truncate should have no blocks")
    expect_equal("/new/abs-link", debugfs_link(image, "/new/abs-link"), "/mnt/new/renamed")
    expect_equal("/new/long-link", debugfs_link(image, "/new/long-link"), long_target)
    # Times are the guest's clock, which follows the host's.
    modified = re.search(r"mtime: 0x([0-9a-f]+)", debugfs(image, "stat /new/renamed").decode())
    if not modified or not started - 120 <= int(modified.group(1), 16) <= time.time() + 120:
        raise TestFailure(f"/new/renamed: its mtime is not the time it was written ({modified})")


def crash(session):
    image = session.images[0]
    shell = initrd_file(session.iso, "bin/sh")
    # Files fsynced: a line, a program (with its indirect block), a file in a new directory.
    expect_lines(session, "mount -t ext2 vda /mnt && echo durable > /mnt/f && sync /mnt/f; echo $?", ["0"])
    expect_lines(session, "cp /bin/sh /mnt/sh && sync /mnt/sh && mkdir /mnt/dir && echo deep > /mnt/dir/g "
                          "&& sync /mnt/dir/g; echo $?", ["0"])
    # A rename, made durable by fsyncing its directory.
    expect_lines(session, "echo renamed > /mnt/a && sync /mnt/a && mv /mnt/a /mnt/b && sync /mnt; echo $?", ["0"])
    # Then more writes in the background (about 12 MiB: more than the page cache holds), and
    # QEMU killed as soon as the first of them reaches the disk, in the middle of a write-back.
    synced = os.stat(image).st_mtime_ns
    session.run("sh -c 'cp -r /bin /mnt/w1; cp -r /tests /mnt/w2; rm -r /mnt/w1; cp -r /bin /mnt/w3' &")
    deadline = time.monotonic() + 60
    while os.stat(image).st_mtime_ns == synced:
        if time.monotonic() > deadline:
            raise TestFailure("the background writes did not reach the disk within 60 s")
        time.sleep(0.01)
    session.process.kill()
    session.process.wait()

    # The volume as the crash left it may need e2fsck (ext2 has no journal), but what was
    # fsynced is there, before the check and after it repaired a copy.
    status, report = e2fsck(image, "-fn")
    print(f"shell_tests: crash: e2fsck -fn after the kill: status {status}, {len(report.splitlines())} lines")
    repaired = image + ".repaired"
    shutil.copyfile(image, repaired)
    status, report = e2fsck(repaired, "-fy")
    if status & ~3:
        raise TestFailure(f"e2fsck -fy could not repair the volume: status {status}:\n{report}")
    expect_clean(repaired, "the repaired volume")
    for volume in (image, repaired):
        expect_file(volume, "/f", b"durable\n")
        expect_file(volume, "/sh", shell)
        expect_file(volume, "/dir/g", b"deep\n")
        expect_file(volume, "/b", b"renamed\n")
        if "a" in debugfs_listing(volume, "/"):
            raise TestFailure("/a: a rename fsynced through its directory was undone")


def dosfs_tool(name):
    """mkfs.fat or fsck.fat (in /sbin, which a user's PATH may lack)."""
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/sbin/{name}"):
        if candidate and os.path.exists(candidate):
            return candidate
    raise TestFailure(f"{name} not found (Debian package dosfstools)")


def mtools(*command):
    """What an mtools command prints (bytes): names in UTF-8, times in UTC (as RaeenOS writes
    them), without mtools' geometry checks (made for floppies)."""
    environment = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8", TZ="UTC")
    result = subprocess.run(list(command), capture_output=True, env=environment)
    if result.returncode != 0:
        raise TestFailure(f"{' '.join(command)}: status {result.returncode}: {result.stderr.decode()}")
    return result.stdout


# The host's files for the fat scenario's volume (mcopy), with an even modification time:
# FAT keeps times to two seconds.
FAT_HELLO = b"Hello from the host\n"
FAT_LONG_NAME = "A long file name, with spaces.txt"
FAT_INNER = b"inside the subdirectory\n"
FAT_BIG_LINES = 8192
FAT_TIME = 1234567890


def fat_line(number):
    # 512 KiB of 64-byte lines, each naming itself: 1,024 clusters of 512 bytes.
    return f"F{number:07d}:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR\n"


def make_fat_tree(tree):
    os.makedirs(os.path.join(tree, "Sub"))
    files = {"hello.txt": FAT_HELLO, FAT_LONG_NAME: b"long\n", os.path.join("Sub", "inner.txt"): FAT_INNER,
             "big.bin": "".join(fat_line(number) for number in range(FAT_BIG_LINES)).encode()}
    for name, contents in files.items():
        with open(os.path.join(tree, name), "wb") as file:
            file.write(contents)
        os.utime(os.path.join(tree, name), (FAT_TIME, FAT_TIME))
    return tree


def make_fat_image(image, tree=None):
    """A 40 MiB FAT32 volume (512-byte clusters; FAT32 needs 65,525 clusters at least), with
    what the host directory `tree` holds put in by mcopy if there is one."""
    subprocess.run([dosfs_tool("mkfs.fat"), "-F", "32", "-C", "-n", "RAEEN", image, "40960"], check=True,
                   capture_output=True)
    if tree:
        names = [os.path.join(tree, name) for name in sorted(os.listdir(tree))]
        mtools("mcopy", "-s", "-m", "-i", image, *names, "::/")


def expect_fat_clean(image, what):
    """fsck.fat -n says nothing but its banner and its summary."""
    result = subprocess.run([dosfs_tool("fsck.fat"), "-n", image], capture_output=True, text=True)
    report = result.stdout + result.stderr
    if result.returncode != 0 or len(report.splitlines()) != 2:
        raise TestFailure(f"fsck.fat -n on {what}: status {result.returncode}:\n{report}")


def fat_paths(image):
    """Every path on the volume as mdir lists them ("::/Sub/", "::/Sub/inner.txt"); mdir fails
    on an empty volume."""
    environment = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8", TZ="UTC")
    listing = subprocess.run(["mdir", "-/", "-b", "-a", "-i", image, "::/"], capture_output=True, text=True,
                             env=environment)
    if listing.returncode != 0 and 'File "::/" not found' in listing.stderr:
        return set()
    if listing.returncode != 0:
        raise TestFailure(f"mdir on {image}: {listing.stderr}")
    return set(listing.stdout.splitlines())


def expect_fat_file(image, path, contents):
    if mtools("mcopy", "-n", "-i", image, f"::{path}", "-") != contents:
        raise TestFailure(f"mcopy ::{path}: the image does not hold the {len(contents)} bytes expected")


def fat(session):
    image, spare = session.images  # vda: the host's files; vdb: empty, for fs-tests
    started = time.time()
    shell = initrd_file(session.iso, "bin/sh")
    big = "".join(fat_line(number) for number in range(FAT_BIG_LINES)).encode()
    # POSIX semantics on FAT, but for the links and permissions it has not: fs-tests mounts
    # vdb and unmounts it.
    expect_fs_tests(session, "/tests/fs-tests --mount vdb fat --no-links-or-permissions /mnt", "/mnt", 600)

    # The host's files, on a volume the VFS knows for FAT by its boot sector.
    expect_lines(session, "mount vda /mnt && mount | grep mnt", ["vda on /mnt type fat (rw)"])
    expect_lines(session, "ls /mnt", [FAT_LONG_NAME, "Sub", "big.bin", "hello.txt"])
    expect_lines(session, f"cat /mnt/hello.txt '/mnt/{FAT_LONG_NAME}' /mnt/sub/INNER.TXT",
                 ["Hello from the host", "long", "inside the subdirectory"])
    expect_lines(session, "stat -c '%s %F %a %Y' /mnt/big.bin; wc -lc /mnt/big.bin",
                 [f"{len(big)} regular file 644 {FAT_TIME}", f"   {FAT_BIG_LINES}  {len(big)} /mnt/big.bin"])
    expect_lines(session, "head -n 1 /mnt/big.bin; grep -n F0005000: /mnt/big.bin; tail -n 1 /mnt/big.bin",
                 [fat_line(0).rstrip(), f"5001:{fat_line(5000).rstrip()}", fat_line(FAT_BIG_LINES - 1).rstrip()])

    # Changes through the shell.
    # A program from the RAM disk and the host's file: many clusters each.
    write_new_files(session, shell, big)
    # Renames in a directory (to a long name) and across directories, a directory's too (its ..).
    expect_lines(session, "mv /mnt/new/file '/mnt/new/Renamed, with a long name' && mv /mnt/hello.txt /mnt/Sub "
                          "&& mv /mnt/new/deep /mnt/Sub/deep && ls /mnt/Sub /mnt/Sub/deep/..",
                 ["/mnt/Sub:", "deep", "hello.txt", "inner.txt", "/mnt/Sub/deep/..:", "deep", "hello.txt",
                  "inner.txt"])
    # Removals: the host's file, a directory made here.
    expect_lines(session, "rm /mnt/big.bin && mkdir /mnt/new/empty && rmdir /mnt/new/empty && ls /mnt /mnt/new",
                 ["/mnt:", FAT_LONG_NAME, "Sub", "new", "/mnt/new:", "Renamed, with a long name", "big-copy", "sh"])
    expect_lines(session, "rmdir /mnt/Sub; echo $?",
                 ["rmdir: failed to remove '/mnt/Sub': Directory not empty", "1"])
    # Growing by truncate writes zeros (FAT has no holes); names that differ only in case are
    # one name.
    expect_lines(session, "truncate -s 100000 /mnt/new/grown && stat -c '%s %b' /mnt/new/grown", ["100000 196"])
    expect_lines(session, "echo upper > /mnt/new/Case && echo lower >> /mnt/new/CASE && cat /mnt/new/case",
                 ["upper", "lower"])
    # What FAT cannot hold is refused: links, and any mode but 0644 and 0444 (the read-only
    # attribute, which mattrib must show on the host).
    expect_lines(session, "ln -s sh /mnt/new/link 2>/dev/null; echo $?; ls /mnt/new | grep -c link", ["1", "0"])
    expect_lines(session, "chmod 600 /mnt/new/sh 2>/dev/null; echo $?; chmod a-w /mnt/new/sh; echo $?; "
                          "stat -c %a /mnt/new/sh; chmod u+w /mnt/new/sh; stat -c %a /mnt/new/sh",
                 ["1", "0", "444", "644"])
    expect_lines(session, "chmod a-w /mnt/new/big-copy && stat -c %A /mnt/new/big-copy", ["-r--r--r--"])
    # A directory of 120 long names, over several clusters, every seventh removed.
    names = [f"Entry number {number:03d}.txt" for number in range(120)]
    removed = names[::7]
    expect_lines(session, "mkdir /mnt/many && cd /mnt/many", [])
    for first in range(0, len(names), 40):
        expect_lines(session, "touch " + " ".join(f"'{name}'" for name in names[first:first + 40]), [])
    expect_lines(session, "rm " + " ".join(f"'{name}'" for name in removed), [])
    expect_lines(session, "ls | wc -l; cd /", [f"    {len(names) - len(removed)} "])
    # Times are the guest's clock, which follows the host's.
    written = int(session.run("stat -c %Y /mnt/new/sh").strip())
    if not started - 120 <= written <= time.time() + 120:
        raise TestFailure(f"/mnt/new/sh: its modification time {written} is not when it was written")
    # Mounted again, with an empty page cache: what was written reads back from the disk.
    expect_lines(session, "umount /mnt && mount -t fat vda /mnt && cat '/mnt/new/Renamed, with a long name' "
                          "&& wc -c /mnt/new/big-copy && ls /mnt/many | wc -l",
                 ["first", "second", f" {len(big)} /mnt/new/big-copy", f"    {len(names) - len(removed)} "])
    expect_lines(session, "umount /mnt; echo $?", ["0"])
    shutdown(session)

    # On the host: both volumes clean, and every change where RaeenOS made it.
    expect_fat_clean(spare, "the volume fs-tests used")
    expect_fat_clean(image, "the volume changed through the shell")
    expect_equal("what fs-tests left", fat_paths(spare), set())
    expected = {f"::/{FAT_LONG_NAME}", "::/Sub/", "::/Sub/inner.txt", "::/Sub/hello.txt", "::/Sub/deep/", "::/new/",
                "::/new/sh", "::/new/big-copy", "::/new/Renamed, with a long name", "::/new/grown", "::/new/Case",
                "::/many/"} | {f"::/many/{name}" for name in names if name not in removed}
    actual = fat_paths(image)
    if actual != expected:
        raise TestFailure(f"mdir: missing {sorted(expected - actual)}, unexpected {sorted(actual - expected)}")
    expect_fat_file(image, f"/{FAT_LONG_NAME}", b"long\n")
    expect_fat_file(image, "/Sub/hello.txt", FAT_HELLO)
    expect_fat_file(image, "/Sub/inner.txt", FAT_INNER)
    expect_fat_file(image, "/new/sh", shell)
    expect_fat_file(image, "/new/big-copy", big)
    for path, read_only in (("/new/big-copy", True), ("/new/sh", False)):
        flags = mtools("mattrib", "-i", image, f"::{path}").decode().partition("::")[0]
        if ("R" in flags) != read_only:
            raise TestFailure(f"mattrib ::{path} shows {flags.strip()!r}: read-only {read_only} expected")
    expect_fat_file(image, "/new/Renamed, with a long name", b"first\nsecond\n")
    expect_fat_file(image, "/new/grown", bytes(100000))
    expect_fat_file(image, "/new/Case", b"upper\nlower\n")
    expect_fat_file(image, f"/many/{names[1]}", b"")


# These run /tests/fs-tests, thousands of calls to file system services, and boot
# with one CPU. On two, a call often wakes its service on the other emulated CPU, which on a
# busy host (ctest runs two boots at once) waits for a host thread: fs-tests on tmpfs then
# took 5 minutes instead of 7 s.
ONE_CPU_SCENARIOS = ("files", "ext2", "fat")

def wait_for_virtio_disks(session, count):
    """Waits (at most 30 s) until `count` virtio-blk drivers have said what disk they found."""
    deadline = time.monotonic() + 30
    pattern = re.compile(r"virtio-blk [0-9a-f:.]+: [0-9]+ sectors of")
    while len(pattern.findall(session.output)) < count:
        if time.monotonic() > deadline:
            raise TestFailure(f"{count} virtio-blk disks expected; the output ends with:\n" + session.output[-1500:])
        session.pump(0.5)


SCENARIOS = {"language": language, "supervision": supervision, "shutdown": shutdown, "screen": screen,
             "disks": disks, "disks-iommu": disks_behind_the_iommu, "legacy-pci": legacy_pci,
             "files": files, "ext2": ext2, "crash": crash, "fat": fat}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iso", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    arguments = parser.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(arguments.log)), exist_ok=True)
    monitor_directory = tempfile.mkdtemp(prefix="raeenos-monitor-") if arguments.scenario == "screen" else None
    monitor_path = os.path.join(monitor_directory, "monitor.sock") if monitor_directory else None
    disk_images = []
    disk_directory = None
    if arguments.scenario in ("disks", "disks-iommu"):
        # Small raw images, one per kind of controller.
        disk_directory = tempfile.mkdtemp(prefix="raeenos-disks-")
        for kind in qemu_runner.DISK_KINDS:
            image = os.path.join(disk_directory, f"{kind}.img")
            with open(image, "wb") as disk:
                disk.write(host_pattern(2048))
            disk_images.append(f"{image}:{kind}")
    elif arguments.scenario in ("ext2", "crash"):
        # ext2 volumes on virtio-blk: for ext2, vda made from a tree on the host and vdb empty
        # (for fs-tests); for crash, vda empty.
        disk_directory = tempfile.mkdtemp(prefix="raeenos-ext2-")
        trees = [None]
        if arguments.scenario == "ext2":
            trees = [make_host_tree(os.path.join(disk_directory, "tree")), None]
        for name, tree in zip(("vda", "vdb"), trees):
            image = os.path.join(disk_directory, f"{name}.img")
            make_ext2_image(image, tree)
            disk_images.append(f"{image}:virtio")
    elif arguments.scenario == "fat":
        # FAT32 volumes on virtio-blk: vda with the host's files (mcopy), vdb empty (for
        # fs-tests).
        disk_directory = tempfile.mkdtemp(prefix="raeenos-fat-")
        tree = make_fat_tree(os.path.join(disk_directory, "tree"))
        for name, files_from in (("vda", tree), ("vdb", None)):
            image = os.path.join(disk_directory, f"{name}.img")
            make_fat_image(image, files_from)
            disk_images.append(f"{image}:virtio")
    machine = "pc" if arguments.scenario == "legacy-pci" else "q35"
    session = Session(arguments.iso, arguments.log, monitor_path, disk_images, machine,
                      iommu=arguments.scenario == "disks-iommu",
                      smp=1 if arguments.scenario in ONE_CPU_SCENARIOS else 2)
    session.disk_paths = {disk.rpartition(":")[2]: disk.rpartition(":")[0] for disk in disk_images}
    session.images = [disk.rpartition(":")[0] for disk in disk_images]
    try:
        session.wait_for(r"^raeen:/\$ ", 60)
        if arguments.scenario in ("ext2", "crash", "fat"):
            # The virtio-blk drivers log as they start, after the prompt: typing only once they
            # have keeps their records out of the middle of the first echoed command.
            wait_for_virtio_disks(session, sum(1 for disk in disk_images if disk.endswith(":virtio")))
        SCENARIOS[arguments.scenario](session)
    except TestFailure as failure:
        print(f"shell_tests: {arguments.scenario}: FAILED: {failure}")
        if arguments.scenario in ("ext2", "crash", "fat"):
            # The volumes are the evidence.
            print(f"shell_tests: {arguments.scenario}: the disk images are kept in {disk_directory}")
            disk_directory = None
        return 1
    finally:
        session.close()
        if monitor_path:
            os.unlink(monitor_path)
            os.rmdir(monitor_directory)
        if disk_directory:
            shutil.rmtree(disk_directory)
    print(f"shell_tests: {arguments.scenario}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
