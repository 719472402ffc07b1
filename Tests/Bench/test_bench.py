"""Host tests of Tools/bench.py: parsing both systems' output, the table's figures and
ratios, and the SLO gates (ctest host.bench-tool)."""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tools"))
import bench  # noqa: E402

RAEENOS_LOG = """\
[     0.001460] info  time: TSC runs at 2299892 kHz
[     0.078221] info  time: HPET at 0xfed00000, 100000 kHz; TSC measured against it: 2000000 kHz
[     0.2] info  [BENCH] syscalls.null_call_round_trip round trip: n=2000 min=80 median=82 p99=90 max=99 mean=83 ticks
[     0.3] info  [BENCH] ipc.one_way_throughput instructions per one-way message: 2699 ticks
[     0.4] info  [BENCH] scheduler.wake_up_latency wake-up on the same CPU: n=1000 min=1 median=2 p99=3 max=4 mean=2 ns
[     0.5] info  [BENCH] scheduler.wake_up_latency wake-up of an idle CPU from another: n=1000 min=9 median=9 p99=9 max=9 mean=9 ns
"""


def mode_results(raeenos_median, linux_median):
    return {
        "raeenos": {
            "smp1": {
                "benchmarks": {"syscalls.null_call_round_trip": {
                    "n": 10, "min": 1, "median": raeenos_median, "p99": raeenos_median * 2, "max": 1, "mean": 1,
                    "unit": "ticks", "metric": "round trip"}},
                "tsc_ticks_per_microsecond": 2000.0,
            },
            "boot_to_first_process_ns": 42_000_000,
            "boot_to_shell_prompt_ns": 90_000_000,
        },
        "linux": {
            "smp1": {
                "null_syscall": {"n": 10, "min": 1, "median": linux_median, "p99": linux_median * 3},
                "boot_to_first_process": {"value": 84_000_000},
                "tsc_ticks_per_microsecond": 1000.0,
            },
        },
    }


class ParsingTests(unittest.TestCase):
    def test_samples_and_values_are_parsed_and_the_first_metric_of_a_test_is_kept(self):
        parsed = bench.parse_raeenos_benchmarks(RAEENOS_LOG)
        self.assertEqual(parsed["syscalls.null_call_round_trip"]["median"], 82)
        self.assertEqual(parsed["syscalls.null_call_round_trip"]["p99"], 90)
        self.assertEqual(parsed["ipc.one_way_throughput"]["value"], 2699)
        self.assertEqual(parsed["scheduler.wake_up_latency"]["median"], 2)

    def test_the_last_tsc_frequency_is_the_measured_one(self):
        self.assertEqual(bench.parse_tsc_ticks_per_microsecond(RAEENOS_LOG), 2000.0)
        with self.assertRaises(ValueError):
            bench.parse_tsc_ticks_per_microsecond("no clock here")

    def test_shell_prompt_line(self):
        self.assertEqual(bench.parse_shell_prompt_ns(
            "[     0.2] info  user: shell: first prompt at 215055000 ns"), 215055000)
        with self.assertRaises(ValueError):
            bench.parse_shell_prompt_ns("user: init: started shell (/bin/sh), start 1")

    def test_first_process_line(self):
        self.assertEqual(bench.parse_first_process_ns("init: /init started as process 1 at 42169000 ns"), 42169000)
        with self.assertRaises(ValueError):
            bench.parse_first_process_ns("boot complete")


class FigureTests(unittest.TestCase):
    def comparison(self, key):
        return next(comparison for comparison in bench.COMPARISONS if comparison.key == key)

    def test_instruction_mode_keeps_ticks_and_the_ratio_is_raeenos_over_linux(self):
        raeenos, linux = bench.comparison_figures("instructions", mode_results(100, 400),
                                                  self.comparison("null_syscall"))
        self.assertEqual((raeenos["median"], raeenos["p99"]), (100, 200))
        self.assertEqual((linux["median"], linux["p99"]), (400, 1200))
        self.assertEqual(bench.ratio(raeenos, linux), "0.25")

    def test_time_mode_converts_each_side_with_its_own_tsc_rate(self):
        raeenos, linux = bench.comparison_figures("time", mode_results(4000, 4000), self.comparison("null_syscall"))
        # 4000 ticks at 2000 per µs is 2 µs; at 1000 per µs, 4 µs.
        self.assertEqual(raeenos["median"], 2000)
        self.assertEqual(linux["median"], 4000)

    def test_boot_figures_are_single_values(self):
        raeenos, linux = bench.comparison_figures("instructions", mode_results(1, 1),
                                                  self.comparison("boot_to_first_process"))
        self.assertEqual((raeenos["median"], raeenos["p99"]), (42_000_000, None))
        self.assertEqual(linux["median"], 84_000_000)
        self.assertEqual(bench.format_figure(raeenos, "p99"), "—")
        prompt, linux_prompt = bench.comparison_figures("instructions", mode_results(1, 1),
                                                        self.comparison("boot_to_shell_prompt"))
        self.assertEqual(prompt["median"], 90_000_000)
        self.assertIsNone(linux_prompt)

    def test_a_missing_side_shows_a_dash(self):
        results = mode_results(1, 1)
        results["linux"] = {}
        raeenos, linux = bench.comparison_figures("instructions", results, self.comparison("null_syscall"))
        self.assertIsNone(linux)
        self.assertEqual(bench.ratio(raeenos, linux), "—")

    def test_the_table_names_both_systems_and_the_slo_keys_follow_the_comparisons(self):
        results = {"date": "d", "qemu": "QEMU 7.2", "host_cpu": "cpu", "qemu_flags": "flags",
                   "modes": {"instructions": mode_results(100, 400)}}
        table = bench.results_table(results)
        self.assertIn("| null system call round trip (Linux: getppid) | 1 | 1 / 100 / 200 | 1 / 400 / 1,200 | 0.25 |", table)
        self.assertIn("| boot to the first user process (kernel clock) | 1 | 42,000,000 | 84,000,000 | 0.50 |", table)
        slo = bench.slo_results(results)
        self.assertEqual(slo["metrics"]["null_syscall_median_instructions"], 100)
        self.assertEqual(slo["metrics"]["null_syscall_p99_instructions"], 200)
        self.assertEqual(slo["metrics"]["boot_to_first_process_median_instructions"], 42_000_000)


class DiskTests(unittest.TestCase):
    def test_disk_figures_come_from_the_disk_runs_and_throughput_is_derived(self):
        results = mode_results(1, 1)
        # 16 MiB read in 0.1 s by RaeenOS (ticks at 2000 per µs) and 0.05 s by Linux (1000).
        results["raeenos"]["disks"] = {"benchmarks": bench.parse_raeenos_benchmarks(
            "[BENCH] block.vda.sequential_read reads: n=1 min=200000000 median=200000000 p99=200000000 "
            "max=200000000 mean=200000000 ticks\n"), "tsc_ticks_per_microsecond": 2000.0}
        results["linux"]["disks"] = {"block_vda_sequential_read": {"n": 1, "min": 50_000_000, "median": 50_000_000,
                                                                    "p99": 50_000_000},
                                     "tsc_ticks_per_microsecond": 1000.0}
        sequential = next(c for c in bench.DISK_COMPARISONS if c.key == "disk_vda_sequential_read")
        raeenos, linux = bench.comparison_figures("time", results, sequential)
        self.assertEqual(raeenos["median"], 100_000_000)
        self.assertEqual(linux["median"], 50_000_000)
        table = bench.results_table({"date": "d", "qemu": "QEMU", "host_cpu": "cpu", "qemu_flags": "flags",
                                     "modes": {"time": results, "instructions": mode_results(1, 1)}})
        self.assertIn("| virtio-blk | 160.0 | 320.0 |", table)
        # Disks are compared in time mode only.
        instruction_part = table.split("## Time mode")[0]
        self.assertNotIn("virtio-blk", instruction_part)


class FileSystemTests(unittest.TestCase):
    RAEENOS_FILES_LOG = "".join(
        f"[     1.0] info  [BENCH] files.{metric} {operation}: n=1 min={ticks} median={ticks} p99={ticks} "
        f"max={ticks} mean={ticks} ticks\n"
        for metric, operation, ticks in (("sequential_write", "write", 400_000_000),
                                         ("sequential_read_cold", "read", 200_000_000),
                                         ("sequential_read_warm", "read", 20_000_000),
                                         ("create_empty", "create", 100_000_000))) + "[BENCH] files done\n"

    def results(self):
        results = mode_results(1, 1)
        # RaeenOS's ticks at 2000 per µs, Linux's at 1000: 400,000,000 ticks are 0.2 s and 0.4 s.
        results["raeenos"]["files"] = {"benchmarks": bench.parse_raeenos_benchmarks(self.RAEENOS_FILES_LOG),
                                       "tsc_ticks_per_microsecond": 2000.0, "image_clean": True}
        results["linux"]["files"] = {"files_sequential_write": {"n": 1, "min": 100_000_000, "median": 100_000_000,
                                                                "p99": 100_000_000},
                                     "files_create_empty": {"n": 1, "min": 50_000_000, "median": 50_000_000,
                                                            "p99": 50_000_000},
                                     "tsc_ticks_per_microsecond": 1000.0, "image_clean": True}
        return results

    def test_every_file_metric_has_both_sides_names_and_a_rate(self):
        self.assertEqual({comparison.run for comparison in bench.FILE_COMPARISONS}, {"files"})
        for comparison in bench.FILE_COMPARISONS:
            self.assertEqual(comparison.raeenos_test.replace(".", "_"), comparison.linux_key)
            self.assertIn(comparison.key, bench.FILE_RATES)

    def test_file_figures_come_from_the_files_runs_in_ns(self):
        results = self.results()
        write = next(c for c in bench.FILE_COMPARISONS if c.key == "files_sequential_write")
        raeenos, linux = bench.comparison_figures("time", results, write)
        self.assertEqual(raeenos["median"], 200_000_000)
        self.assertEqual(linux["median"], 100_000_000)
        cold = next(c for c in bench.FILE_COMPARISONS if c.key == "files_sequential_read_cold")
        raeenos, linux = bench.comparison_figures("time", results, cold)
        self.assertEqual(raeenos["median"], 100_000_000)
        self.assertIsNone(linux)

    def test_the_file_system_section_shows_times_ratios_and_rates(self):
        table = bench.results_table({"date": "d", "qemu": "QEMU", "host_cpu": "cpu", "qemu_flags": "flags",
                                     "modes": {"instructions": mode_results(1, 1), "time": self.results()}})
        time_part = table.split("## Time mode")[1]
        self.assertIn("### File systems", time_part)
        self.assertNotIn("### File systems", table.split("## Time mode")[0])
        # 4 MiB in 0.2 s is 20 MiB/s; in 0.1 s, 40.
        self.assertIn("| ext2: sequential write of 4 MiB in 32 KiB writes, fsync | 200,000,000 | 100,000,000 | 2.00 "
                      "| 20.0 MiB/s | 40.0 MiB/s |", time_part)
        # 200 files in 0.05 s on both sides is 4,000 files/s.
        self.assertIn("| 50,000,000 | 50,000,000 | 1.00 | 4,000 files/s | 4,000 files/s |", time_part)
        self.assertIn("| ext2: the same read again (cached) | 10,000,000 | — | — | 400.0 MiB/s | — |", time_part)

    @unittest.skipUnless(shutil.which("mke2fs") or os.path.exists("/usr/sbin/mke2fs") or os.path.exists("/sbin/mke2fs"),
                         "e2fsprogs is not installed")
    def test_each_system_gets_an_identical_clean_copy_of_one_image(self):
        with tempfile.TemporaryDirectory() as directory:
            raeenos, linux = bench.make_file_system_images(directory)
            self.assertTrue(raeenos.endswith(":virtio") and linux.endswith(":virtio"))
            raeenos_path, linux_path = raeenos.rpartition(":")[0], linux.rpartition(":")[0]
            self.assertNotEqual(raeenos_path, linux_path)
            with open(raeenos_path, "rb") as first, open(linux_path, "rb") as second:
                self.assertEqual(first.read(), second.read())
            self.assertEqual(os.path.getsize(raeenos_path), 64 * 1024 * 1024)
            self.assertTrue(bench.file_system_is_clean(raeenos))
            # A zeroed superblock (at byte 1024) is what e2fsck cannot accept.
            with open(linux_path, "r+b") as image:
                image.seek(1024)
                image.write(bytes(1024))
            self.assertFalse(bench.file_system_is_clean(linux))


class GateTests(unittest.TestCase):
    def gates_file(self, text):
        handle = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        handle.write(text)
        handle.close()
        self.addCleanup(os.unlink, handle.name)
        return handle.name

    def test_a_metric_past_its_gate_and_a_missing_one_fail(self):
        gates = self.gates_file("[slo_gates]\na = { max = 10 }\nb = { max = 10 }\nc = { max = 10 }\n")
        slo = {"metrics": {"a": 10, "b": 11}}
        self.assertEqual(bench.check_gates(slo, gates), [("b", 11, 10), ("c", None, 10)])

    def test_the_checked_in_gates_name_only_metrics_the_bench_produces(self):
        keys = set()
        for comparison in bench.COMPARISONS:
            keys.add(f"{comparison.key}_median_instructions")
            keys.add(f"{comparison.key}_p99_instructions")
        import tomllib
        with open(bench.GATES_FILE, "rb") as gates_file:
            gates = tomllib.load(gates_file)["slo_gates"]
        self.assertTrue(gates)
        for key, gate in gates.items():
            self.assertIn(key, keys)
            self.assertGreater(gate["max"], 0)

    def test_check_command_reads_a_results_file(self):
        gates = self.gates_file("[slo_gates]\na = { max = 10 }\n")
        results = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump({"metrics": {"a": 5}}, results)
        results.close()
        self.addCleanup(os.unlink, results.name)

        class Arguments:
            pass

        arguments = Arguments()
        arguments.results = results.name
        arguments.gates = gates
        self.assertEqual(bench.check(arguments), 0)
        with open(results.name, "w") as rewritten:
            json.dump({"metrics": {"a": 11}}, rewritten)
        self.assertEqual(bench.check(arguments), 1)


if __name__ == "__main__":
    unittest.main()
