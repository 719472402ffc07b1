#include <Core/StaticVector.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Arch/x86_64/FpuState.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/LocalApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/SmpStartup.h>
#include <Kernel/Arch/x86_64/SyscallEntry.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Time/Clock.h>

extern "C" const char ap_trampoline_start[], ap_trampoline_end[];
extern "C" const char ap_trampoline_page_table_root[], ap_trampoline_stack_top[], ap_trampoline_entry[],
    ap_trampoline_processor[], ap_trampoline_extra_efer_bits[];

namespace Kernel::Arch {

namespace {

// Must match TRAMPOLINE_BASE in ApTrampoline.S: a page in the first MiB, which the memory
// manager never hands out.
constexpr u64 trampoline_physical = 0x8000;
constexpr u64 boot_stack_size = 64 * 1024;
constexpr u64 interrupt_stack_size = 16 * 1024;
constexpr u64 startup_timeout_ns = 1'000'000'000;
void (*s_continuation)() = nullptr;

// Where a data field of the trampoline lives in its copy at trampoline_physical, seen
// through the direct map.
template<typename T> volatile T& trampoline_field(const char* symbol)
{
    auto offset = reinterpret_cast<Core::uptr>(symbol) - reinterpret_cast<Core::uptr>(ap_trampoline_start);
    // Invariant: `symbol` lies inside the trampoline, which was copied to the page at
    // trampoline_physical; the first MiB is direct-mapped read-write.
    return *reinterpret_cast<volatile T*>(
        static_cast<u8*>(Memory::physical_to_virtual(trampoline_physical)) + offset);
}

[[noreturn]] void application_processor_main(Processor* processor)
{
    activate_processor(*processor);
    load_interrupt_table_on_this_cpu();
    apply_cpu_protections_on_this_cpu();
    initialize_fpu_on_this_cpu();
    initialize_syscalls_on_this_cpu();
    enable_local_apic_on_this_cpu();
    mark_processor_online(*processor);
    s_continuation();
    __builtin_unreachable();
}

Core::Result<void> prepare_stacks(InterruptStackRange (&interrupt_stacks)[3], u64& boot_stack_top)
{
    for (auto& range : interrupt_stacks) {
        auto stack = TRY(Memory::allocate_kernel_stack(interrupt_stack_size));
        range = { stack.bottom, stack.top };
    }
    auto boot_stack = TRY(Memory::allocate_kernel_stack(boot_stack_size));
    boot_stack_top = boot_stack.top;
    return {};
}

bool start_one(u32 apic_id)
{
    InterruptStackRange interrupt_stacks[3] {};
    u64 stack_top = 0;
    if (auto prepared = prepare_stacks(interrupt_stacks, stack_top); prepared.is_error()) {
        Log::warning("smp: no memory for CPU with APIC id {}: {}", apic_id, prepared.error().name());
        return false;
    }
    Processor* processor = register_processor(apic_id, interrupt_stacks);
    if (!processor) {
        Log::warning("smp: more than {} CPUs; APIC id {} left offline", max_processors, apic_id);
        return false;
    }
    trampoline_field<u64>(ap_trampoline_stack_top) = stack_top;
    trampoline_field<u64>(ap_trampoline_processor) = reinterpret_cast<u64>(processor);

    send_init(apic_id);
    Time::busy_wait_nanoseconds(10'000'000);
    for (u32 attempt = 0; attempt < 2 && !__atomic_load_n(&processor->online, __ATOMIC_ACQUIRE); ++attempt) {
        send_startup(apic_id, static_cast<u8>(trampoline_physical >> 12));
        Time::busy_wait_nanoseconds(200'000);
    }
    u64 start = Time::monotonic_nanoseconds();
    while (!__atomic_load_n(&processor->online, __ATOMIC_ACQUIRE)) {
        if (Time::monotonic_nanoseconds() - start > startup_timeout_ns) {
            // Park it (INIT puts a CPU back into wait-for-STARTUP), so that a CPU waking up
            // late cannot run on the trampoline data prepared for the next one.
            send_init(apic_id);
            Log::warning("smp: CPU with APIC id {} did not start; parked", apic_id);
            return false;
        }
        pause();
    }
    return true;
}

} // namespace

u32 start_application_processors(Core::Span<const u32> apic_ids, void (*continuation)())
{
    s_continuation = continuation;
    u32 boot_apic_id = local_apic_id();
    boot_processor().apic_id = boot_apic_id;
    if (apic_ids.size() <= 1) {
        Log::info("smp: 1 of 1 CPUs online");
        return 0;
    }

    u64 root = Memory::kernel_page_table_root();
    if (root >= (1ull << 32)) {
        Log::warning("smp: kernel page tables above 4 GiB; application processors stay offline");
        return 0;
    }
    // Copy the trampoline into its page and identity-map that page (read+execute) for the
    // moment each CPU turns paging on while running from it.
    auto trampoline_size = static_cast<Core::usize>(
        reinterpret_cast<Core::uptr>(ap_trampoline_end) - reinterpret_cast<Core::uptr>(ap_trampoline_start));
    __builtin_memcpy(Memory::physical_to_virtual(trampoline_physical), ap_trampoline_start, trampoline_size);
    trampoline_field<u64>(ap_trampoline_page_table_root) = root;
    trampoline_field<u64>(ap_trampoline_entry) = reinterpret_cast<u64>(&application_processor_main);
    trampoline_field<u32>(ap_trampoline_extra_efer_bits) = cpu_features().no_execute ? (1u << 11) : 0;
    PageProtection trampoline_protection { .writable = false, .executable = true };
    if (auto mapped
        = Memory::map_kernel_page(trampoline_physical, trampoline_physical, trampoline_protection);
        mapped.is_error()) {
        Log::warning("smp: cannot map the AP trampoline: {}", mapped.error().name());
        return 0;
    }

    u32 started = 0;
    Core::StaticVector<u32, max_processors> seen;
    bool booted_self_seen = false;
    for (u32 apic_id : apic_ids) {
        // The ids come from firmware: a duplicate would re-INIT a running CPU, and a
        // broadcast or out-of-range id would reach the wrong ones.
        if (apic_id == boot_apic_id && !booted_self_seen) {
            booted_self_seen = true;
            continue;
        }
        bool duplicate = apic_id == boot_apic_id;
        for (u32 earlier : seen)
            duplicate = duplicate || earlier == apic_id;
        if (duplicate || !is_addressable_apic_id(apic_id)) {
            Log::warning("smp: APIC id {} from the MADT is a duplicate or not addressable; skipped", apic_id);
            continue;
        }
        (void)seen.try_append(apic_id);
        if (start_one(apic_id))
            ++started;
    }
    (void)Memory::unmap_kernel_page(trampoline_physical);
    Log::info("smp: {} of {} CPUs online", online_processor_count(), apic_ids.size());
    return started;
}

} // namespace Kernel::Arch
