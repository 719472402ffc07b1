#pragma once

// Runs programs of the initial RAM disk for kernel tests and benchmarks that drive user-space
// programs, and checks what they leave behind: exit statuses, audit records, memory (only
// test files include this).

#include <ABI/Audit.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/MemoryObject.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Tasks/FirstProgram.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Test/KernelBenchmark.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Tasks::TestSupport {

// Starts the program at `path` on this CPU with `argument` and the given start-up handles,
// and waits for its main thread; its exit status, or nothing (with the test failed) if it
// could not start.
inline Core::Optional<Core::i64> run_to_exit(Test::TestContext& test_context, const char* path,
    Core::u64 argument, Core::Span<Objects::HandleTable::Entry> startup_handles = {})
{
    auto thread = start_program_from_initial_ramdisk(
        path, Arch::current_processor_index(), argument, startup_handles);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return {};
    auto status = Scheduler::join(*thread.value());
    EXPECT(!status.is_error());
    if (status.is_error())
        return {};
    return status.value();
}

// Runs a user-space test program, which exits with 0 when all its checks pass and with the
// number of the check that failed otherwise.
inline void expect_program_passes(Test::TestContext& test_context, const char* path, Core::u64 argument,
    Core::Span<Objects::HandleTable::Entry> startup_handles = {})
{
    // Nothing when the program could not run, which run_to_exit has already failed the test for.
    auto status = run_to_exit(test_context, path, argument, startup_handles);
    if (status.has_value())
        EXPECT_EQ(status.value(), 0); // otherwise: the number of the check that failed
}

// expect_program_passes for a program whose one start-up handle is the audit log with Read:
// the diagnostics privilege (audit_read, channel_statistics) that only process 1 has else.
inline void expect_program_passes_with_audit_log(Test::TestContext& test_context, const char* path)
{
    auto audit_log = Security::AuditLogObject::instance();
    EXPECT(!audit_log.is_error());
    if (audit_log.is_error())
        return;
    Objects::HandleTable::Entry handles[] = {
        { Core::RefPtr<Objects::KernelObject>(audit_log.value()), ABI::Right::Read },
    };
    expect_program_passes(test_context, path, 0, handles);
}

// The argument of a benchmark program that runs in several modes (IpcBenchmark.cpp,
// LifecycleBenchmark.cpp): the sample count in bits 0-31, the mode in bits 32-39.
constexpr Core::u64 benchmark_argument(Core::u64 count, Core::u64 mode)
{
    return count | (mode << 32);
}

// Runs a user-space benchmark program that leaves its samples in a memory object, its first
// start-up handle (Userland/Runtime/BenchmarkSamples.h), and reports them under `metric`
// (n, min, median, p99, max, mean). The program must exit with 0.
inline void report_program_samples(Test::TestContext& test_context, const char* path, Core::u64 argument,
    Core::StringView metric, Core::StringView unit = "ticks"_sv)
{
    // The layout of Benchmark::SampleBlock: a count, then the samples.
    constexpr Core::u64 capacity = 4096;
    constexpr Core::u64 block_bytes
        = Core::align_up<Core::u64>((1 + capacity) * sizeof(Core::u64), Memory::page_size);
    auto block = Memory::MemoryObject::create_anonymous(block_bytes);
    EXPECT(!block.is_error());
    if (block.is_error())
        return;
    Objects::HandleTable::Entry handles[] = {
        { Core::RefPtr<Objects::KernelObject>(block.value()),
            ABI::Right::Read | ABI::Right::Write | ABI::Right::Map },
    };
    auto status = run_to_exit(test_context, path, argument, handles);
    if (!status.has_value())
        return;
    EXPECT_EQ(status.value(), 0);
    Core::u64 count = 0;
    EXPECT(
        !block.value()->read(0, Core::Bytes(reinterpret_cast<Core::u8*>(&count), sizeof(count))).is_error());
    EXPECT(count > 0 && count <= capacity);
    if (status.value() != 0 || count == 0 || count > capacity)
        return;
    // Kept static: 32 KiB is too much for a kernel stack, and benchmarks run one at a time.
    static Core::u64 samples[capacity];
    EXPECT(!block.value()
                ->read(sizeof(Core::u64),
                    Core::Bytes(reinterpret_cast<Core::u8*>(samples), count * sizeof(Core::u64)))
                .is_error());
    Test::report_samples(test_context, metric, { samples, count }, unit);
}

// Room for the whole audit log: too large for a kernel stack, and tests run one at a time.
inline ABI::AuditRecord s_audit_records[ABI::audit_log_capacity];

// The sequence number the next audit record will have: counting from it leaves out what
// earlier runs of the same program recorded.
inline Core::u64 next_audit_sequence()
{
    Core::usize count = Security::read_audit_log(0, { s_audit_records, ABI::audit_log_capacity });
    return count > 0 ? s_audit_records[count - 1].sequence + 1 : 0;
}

// Whether `record` was made by the process named `process_name`, which is shorter than the
// record's NUL-padded field.
inline bool audit_record_is_from(const ABI::AuditRecord& record, const char* process_name)
{
    for (Core::usize index = 0; index < sizeof(record.process); ++index) {
        if (record.process[index] != process_name[index])
            return false;
        if (process_name[index] == 0)
            return true;
    }
    return false;
}

// How many of the audit records from `first_sequence` on are `event`s of the process named
// `process_name`.
inline Core::usize count_audit_records(
    Core::u64 first_sequence, const char* process_name, ABI::AuditEvent event)
{
    Core::usize count
        = Security::read_audit_log(first_sequence, { s_audit_records, ABI::audit_log_capacity });
    Core::usize matching = 0;
    for (Core::usize index = 0; index < count; ++index) {
        if (s_audit_records[index].event == static_cast<Core::u32>(event)
            && audit_record_is_from(s_audit_records[index], process_name))
            ++matching;
    }
    return matching;
}

// Runs the program at `path` twice and expects the processes of the second run to give their
// physical memory back once the reaper has torn them down: what stays allocated after it,
// the heap's own growth, must be less than `growth_limit_bytes`.
inline void expect_second_run_gives_memory_back(
    Test::TestContext& test_context, const char* path, Core::u64 growth_limit_bytes)
{
    // The first run warms the heap's caches (handle tables, FPU areas, thread objects), so
    // the second one's kernel allocations come from pages already counted.
    EXPECT(run_to_exit(test_context, path, 0).has_value());
    Scheduler::sleep_until(Time::monotonic_nanoseconds() + 50'000'000);
    Core::u64 before = Memory::physical_memory_statistics().allocated_bytes;
    EXPECT(run_to_exit(test_context, path, 0).has_value());
    // The reaper tears processes down after their last thread: give it time.
    Core::u64 left = 0;
    for (Core::u32 attempt = 0; attempt < 100; ++attempt) {
        Core::u64 now = Memory::physical_memory_statistics().allocated_bytes;
        left = now > before ? now - before : 0;
        if (left < growth_limit_bytes)
            break;
        Scheduler::sleep_until(Time::monotonic_nanoseconds() + 10'000'000);
    }
    EXPECT(left < growth_limit_bytes);
}

} // namespace Kernel::Tasks::TestSupport
