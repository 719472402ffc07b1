#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/FaultCatcher.h>
#include <Kernel/Arch/x86_64/GDT.h>
#include <Kernel/Arch/x86_64/LocalApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/TlbInvalidation.h>
#include <Kernel/Test/KernelTest.h>

// The test kernel boots with several CPUs (Tests/CMakeLists.txt passes --smp 4).

namespace {

using Kernel::Arch::current_processor_index;
using Kernel::Arch::processor;
using Kernel::Arch::processor_count;

constexpr Core::u64 test_page = 0xFFFFFE8000100000ull;

struct CallRecord {
    Core::u32 calls;
    Core::u32 apic_id;
};
CallRecord s_records[Kernel::Arch::max_processors];

void record_call(void*)
{
    CallRecord& record = s_records[current_processor_index()];
    __atomic_add_fetch(&record.calls, 1, __ATOMIC_RELAXED);
    record.apic_id = Kernel::Arch::local_apic_id();
}

void write_test_page(void*)
{
    *reinterpret_cast<volatile Core::u8*>(test_page) = 0x77;
}

void read_test_page(void*)
{
    (void)*reinterpret_cast<volatile Core::u8*>(test_page);
}

// Result of trying an access on one CPU, by processor index.
Core::u32 s_faulted[Kernel::Arch::max_processors];

void try_write_here(void*)
{
    s_faulted[current_processor_index()]
        = Kernel::Arch::catch_fault(write_test_page, nullptr).has_value() ? 1 : 0;
}

void try_read_here(void*)
{
    s_faulted[current_processor_index()]
        = Kernel::Arch::catch_fault(read_test_page, nullptr).has_value() ? 1 : 0;
}

// Runs `probe` on every CPU and counts how many saw a fault.
Core::u32 faults_on_every_cpu(Kernel::Arch::ProcessorFunction probe)
{
    for (auto& faulted : s_faulted)
        faulted = 2; // "did not run"
    probe(nullptr);
    Kernel::Arch::run_on_other_processors(probe, nullptr);
    Core::u32 faults = 0;
    for (Core::u32 index = 0; index < processor_count(); ++index)
        faults += s_faulted[index] == 1 ? 1 : 0;
    return faults;
}

} // namespace

KERNEL_TEST(smp, every_listed_cpu_came_online)
{
    EXPECT(processor_count() >= 2);
    EXPECT_EQ(Kernel::Arch::online_processor_count(), processor_count());
    for (Core::u32 index = 0; index < processor_count(); ++index) {
        EXPECT(processor(index).online);
        EXPECT_EQ(processor(index).index, index);
    }
}

KERNEL_TEST(smp, an_ipi_reaches_every_cpu)
{
    for (auto& record : s_records)
        record = {};
    Kernel::Arch::run_on_other_processors(record_call, nullptr);
    for (Core::u32 index = 0; index < processor_count(); ++index) {
        bool is_self = index == current_processor_index();
        EXPECT_EQ(s_records[index].calls, is_self ? 0u : 1u);
        if (!is_self)
            EXPECT_EQ(s_records[index].apic_id, processor(index).apic_id);
    }
    // And one at a time.
    for (Core::u32 index = 0; index < processor_count(); ++index)
        Kernel::Arch::run_on_processor(index, record_call, nullptr);
    for (Core::u32 index = 0; index < processor_count(); ++index)
        EXPECT_EQ(s_records[index].calls, index == current_processor_index() ? 1u : 2u);
}

KERNEL_TEST(smp, a_mapping_change_is_seen_by_every_cpu)
{
    auto frame = Kernel::Memory::allocate_physical_page(Kernel::Memory::PageUse::Other);
    EXPECT(!frame.is_error());
    if (frame.is_error())
        return;
    Kernel::Arch::PageProtection read_write { .writable = true, .executable = false };
    Kernel::Arch::PageProtection read_only { .writable = false, .executable = false };
    EXPECT(!Kernel::Memory::map_kernel_page(test_page, frame.value(), read_write).is_error());
    // Every CPU writes, so every TLB now caches a writable entry.
    EXPECT_EQ(faults_on_every_cpu(try_write_here), 0u);

    auto shootdowns_before = Kernel::Memory::tlb_invalidation_counts().shootdowns;
    EXPECT(!Kernel::Memory::protect_kernel_page(test_page, read_only).is_error());
    EXPECT(Kernel::Memory::tlb_invalidation_counts().shootdowns > shootdowns_before);
    // Without the shootdown the other CPUs would still write through their stale entries.
    EXPECT_EQ(faults_on_every_cpu(try_write_here), processor_count());
    EXPECT_EQ(faults_on_every_cpu(try_read_here), 0u);

    EXPECT(!Kernel::Memory::unmap_kernel_page(test_page).is_error());
    EXPECT_EQ(faults_on_every_cpu(try_read_here), processor_count());
    Kernel::Memory::free_physical_page(frame.value());
}

KERNEL_TEST(smp, a_reschedule_ipi_wakes_an_idle_cpu)
{
    // Every other CPU sleeps in hlt with interrupts on; the IPI must reach and wake it.
    for (Core::u32 index = 0; index < processor_count(); ++index) {
        if (index == current_processor_index())
            continue;
        Core::u64 before = Kernel::Arch::reschedule_interrupts_received(index);
        Kernel::Arch::send_reschedule(index);
        Core::u64 spins = 0;
        while (Kernel::Arch::reschedule_interrupts_received(index) == before && spins < 100'000'000)
            ++spins;
        EXPECT_EQ(Kernel::Arch::reschedule_interrupts_received(index), before + 1);
    }
}

namespace {

struct CpuState {
    Core::u64 cr4;
    Core::u64 efer;
    Core::u64 pat;
    Core::u16 task_register;
    bool gs_matches;
};
CpuState s_cpu_states[Kernel::Arch::max_processors];

void record_cpu_state(void*)
{
    auto& processor = Kernel::Arch::current_processor();
    s_cpu_states[processor.index] = { Kernel::Arch::read_cr4(), Kernel::Arch::read_msr(0xC0000080),
        Kernel::Arch::read_msr(0x277), Kernel::Arch::read_task_register(), processor.self == &processor };
}

} // namespace

// Every CPU, not only the boot CPU, runs with the same protections, PAT and its own TSS.
KERNEL_TEST(smp, every_cpu_has_the_same_protections)
{
    record_cpu_state(nullptr);
    Kernel::Arch::run_on_other_processors(record_cpu_state, nullptr);
    const CpuState& boot = s_cpu_states[current_processor_index()];
    EXPECT(boot.cr4 & (1u << 20)); // SMEP
    EXPECT(boot.cr4 & (1u << 21)); // SMAP
    for (Core::u32 index = 0; index < processor_count(); ++index) {
        const CpuState& state = s_cpu_states[index];
        EXPECT_EQ(state.cr4, boot.cr4);
        EXPECT_EQ(state.efer & (1u << 11), 1u << 11); // NXE
        EXPECT_EQ(state.pat, boot.pat);
        EXPECT_EQ(state.task_register, Kernel::Arch::task_state_selector);
        EXPECT(state.gs_matches);
    }
}
