#!/usr/bin/env python3
"""End-to-end tests of RaeenOS's shell, driven over the serial console as a user types.

  shell_tests.py --iso ISO --log FILE SCENARIO

Each scenario boots the real ISO in QEMU (SeaBIOS, two CPUs), waits for the shell's
prompt, types command lines and checks what comes back. Scenarios:
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
Every wait has a hard timeout; the serial log is written to FILE either way.
"""
import argparse
import os
import re
import select
import socket
import subprocess
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
    def __init__(self, iso, log_path, monitor_path=None, disks=None, machine="q35", iommu=False):
        command = qemu_runner.qemu_command(iso, uefi=False, smp=2, memory="256M", machine=machine, iommu=iommu)
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
        # Records that split a line of the output are taken out; those at the start of a
        # line are left out below.
        text = re.sub(r"(?<=[^\n])" + INLINE_RECORD, "", self.output[echoed.end():prompt.start()])
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


SCENARIOS = {"language": language, "supervision": supervision, "shutdown": shutdown, "screen": screen,
             "disks": disks, "disks-iommu": disks_behind_the_iommu, "legacy-pci": legacy_pci}


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
    if arguments.scenario in ("disks", "disks-iommu"):
        # Small raw images, one per kind of controller.
        disk_directory = tempfile.mkdtemp(prefix="raeenos-disks-")
        for kind in qemu_runner.DISK_KINDS:
            image = os.path.join(disk_directory, f"{kind}.img")
            with open(image, "wb") as disk:
                disk.write(host_pattern(2048))
            disk_images.append(f"{image}:{kind}")
    machine = "pc" if arguments.scenario == "legacy-pci" else "q35"
    session = Session(arguments.iso, arguments.log, monitor_path, disk_images, machine,
                      iommu=arguments.scenario == "disks-iommu")
    session.disk_paths = {disk.rpartition(":")[2]: disk.rpartition(":")[0] for disk in disk_images}
    try:
        session.wait_for(r"^raeen:/\$ ", 60)
        SCENARIOS[arguments.scenario](session)
    except TestFailure as failure:
        print(f"shell_tests: {arguments.scenario}: FAILED: {failure}")
        return 1
    finally:
        session.close()
        if monitor_path:
            os.unlink(monitor_path)
            os.rmdir(monitor_directory)
        for disk in disk_images:
            os.unlink(disk.rpartition(":")[0])
        if disk_images:
            os.rmdir(os.path.dirname(disk_images[0].rpartition(":")[0]))
    print(f"shell_tests: {arguments.scenario}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
