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
Every wait has a hard timeout; the serial log is written to FILE either way.
"""
import argparse
import os
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tools"))
import qemu_runner  # noqa: E402

# A kernel log record: "[     1.234567] info  ...".
KERNEL_RECORD = re.compile(r"^\[ *[0-9]+\.[0-9]{6}\] ")


class TestFailure(Exception):
    pass


class Session:
    def __init__(self, iso, log_path):
        command = qemu_runner.qemu_command(iso, uefi=False, smp=2, memory="256M")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        self.raw = ""
        self.output = ""
        self.log_path = log_path

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

    def run(self, line, timeout=30):
        """Types `line` and Enter, waits for the next prompt, and returns what the command
        printed (the lines between the echoed command and the prompt)."""
        start = len(self.output)
        self.type(line + "\r")
        # The echo of the line, then the next prompt.
        echoed = self.wait_for(re.escape(line.split("\x1b")[0][:20]), timeout, start)
        prompt = self.wait_for(r"^raeen:[^\n$]*\$ ", timeout, echoed.end())
        text = self.output[echoed.end():prompt.start()]
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
    expect_lines(session, "cat /etc/services | grep -c service | cat", ["7"])
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
    # Scripts, with their arguments.
    expect_lines(session, "sh /tests/script.sh first second", ["script: first second", "status 1", "done"])
    # The working directory.
    expect_lines(session, "cd /bin; pwd; ls | wc -l; cd ..; pwd", ["/bin", "     31 ", "/"])
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


SCENARIOS = {"language": language, "supervision": supervision, "shutdown": shutdown}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iso", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    arguments = parser.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(arguments.log)), exist_ok=True)
    session = Session(arguments.iso, arguments.log)
    try:
        session.wait_for(r"^raeen:/\$ ", 60)
        SCENARIOS[arguments.scenario](session)
    except TestFailure as failure:
        print(f"shell_tests: {arguments.scenario}: FAILED: {failure}")
        return 1
    finally:
        session.close()
    print(f"shell_tests: {arguments.scenario}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
