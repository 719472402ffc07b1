#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/FpuState.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Test/KernelTest.h>

// The kernel is compiled with -mgeneral-regs-only, so C++ here cannot name an XMM or YMM
// register. These routines are plain assembly (file-scope asm is assembled, never
// compiled, so the flag does not apply) following the System V calling convention:
// argument in RDI/RSI, result in EAX. They touch only the FPU registers they name, the
// memory their pointer argument designates, and the stack slot they push and pop.
//
// Vector routines read or write 16 slots of 32 bytes: the SSE ones XMM0-15 from the first
// 16 bytes of each slot, the AVX ones all of YMM0-15.
extern "C" {
void fpu_test_load_sse_registers(const void* source);
void fpu_test_store_sse_registers(void* destination);
void fpu_test_load_avx_registers(const void* source);
void fpu_test_store_avx_registers(void* destination);
// fninit, then FCW and MXCSR from the arguments.
void fpu_test_reset_x87_and_set_controls(Core::u32 mxcsr, Core::u32 control_word);
Core::u32 fpu_test_read_mxcsr();
// fnstenv into the 28-byte area, then fldenv from it (fnstenv masks every x87 exception
// as a side effect, which the reload undoes).
void fpu_test_store_x87_environment(void* destination);
// Push (fldt) and pop (fstpt) one 80-bit value on the x87 stack.
void fpu_test_push_x87(const void* source);
void fpu_test_pop_x87(void* destination);
}

// Invariant: every routine reads or writes only the FPU registers it names and the memory
// at RDI (16 slots of 32 bytes for vector routines, 28 bytes for the x87 environment, 10
// bytes for an 80-bit value), or the 8-byte stack slot it pushes itself; callers keep the
// FPU usable (CR0.TS clear, OSFXSR set, and OSXSAVE with XCR0.AVX for the AVX ones).
asm(R"(
    .pushsection .text.fpu_test_routines, "ax", @progbits

    .globl fpu_test_load_sse_registers
    .type fpu_test_load_sse_registers, @function
fpu_test_load_sse_registers:
    .irp index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    movdqu \index * 32(%rdi), %xmm\index
    .endr
    ret
    .size fpu_test_load_sse_registers, . - fpu_test_load_sse_registers

    .globl fpu_test_store_sse_registers
    .type fpu_test_store_sse_registers, @function
fpu_test_store_sse_registers:
    .irp index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    movdqu %xmm\index, \index * 32(%rdi)
    .endr
    ret
    .size fpu_test_store_sse_registers, . - fpu_test_store_sse_registers

    .globl fpu_test_load_avx_registers
    .type fpu_test_load_avx_registers, @function
fpu_test_load_avx_registers:
    .irp index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    vmovdqu \index * 32(%rdi), %ymm\index
    .endr
    ret
    .size fpu_test_load_avx_registers, . - fpu_test_load_avx_registers

    .globl fpu_test_store_avx_registers
    .type fpu_test_store_avx_registers, @function
fpu_test_store_avx_registers:
    .irp index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    vmovdqu %ymm\index, \index * 32(%rdi)
    .endr
    ret
    .size fpu_test_store_avx_registers, . - fpu_test_store_avx_registers

    .globl fpu_test_reset_x87_and_set_controls
    .type fpu_test_reset_x87_and_set_controls, @function
fpu_test_reset_x87_and_set_controls:
    fninit
    push %rdi
    ldmxcsr (%rsp)
    mov %esi, (%rsp)
    fldcw (%rsp)
    pop %rdi
    ret
    .size fpu_test_reset_x87_and_set_controls, . - fpu_test_reset_x87_and_set_controls

    .globl fpu_test_read_mxcsr
    .type fpu_test_read_mxcsr, @function
fpu_test_read_mxcsr:
    push %rax
    stmxcsr (%rsp)
    pop %rax
    ret
    .size fpu_test_read_mxcsr, . - fpu_test_read_mxcsr

    .globl fpu_test_store_x87_environment
    .type fpu_test_store_x87_environment, @function
fpu_test_store_x87_environment:
    fnstenv (%rdi)
    fldenv (%rdi)
    ret
    .size fpu_test_store_x87_environment, . - fpu_test_store_x87_environment

    .globl fpu_test_push_x87
    .type fpu_test_push_x87, @function
fpu_test_push_x87:
    fldt (%rdi)
    ret
    .size fpu_test_push_x87, . - fpu_test_push_x87

    .globl fpu_test_pop_x87
    .type fpu_test_pop_x87, @function
fpu_test_pop_x87:
    fstpt (%rdi)
    ret
    .size fpu_test_pop_x87, . - fpu_test_pop_x87

    .popsection
)");

namespace {

using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;
using namespace Kernel::Arch;

constexpr usize vector_register_count = 16;
constexpr usize vector_slot_size = 32;
// Room for an area with every component this kernel enables (AVX-512 included, about
// 2.7 KiB) and the guard bytes behind it.
constexpr usize area_capacity = 4096;
constexpr usize guard_size = 64;
constexpr u8 guard_pattern = 0xA5;
constexpr u8 unwritten_pattern = 0xEE;

struct VectorRegisters {
    u8 bytes[vector_register_count][vector_slot_size];
};

// An x87 extended-precision value as fldt/fstpt read and write it (10 bytes).
struct ExtendedPrecision {
    u64 significand;
    u16 sign_and_exponent;
};

// The 28-byte protected-mode environment fnstenv writes in 64-bit mode; the upper halves
// of the first three fields are reserved.
struct X87Environment {
    u32 control_word;
    u32 status_word;
    u32 tag_word;
    u32 pointers[4];
};
static_assert(sizeof(X87Environment) == 28);

// A full set of register contents a test puts into the FPU.
struct FpuPattern {
    u8 vector_seed;
    u32 mxcsr;
    u32 control_word;
    ExtendedPrecision x87_value;
};

// Round toward zero in both units; pi on the x87 stack.
constexpr FpuPattern pattern_a { 0x11, 0x7F80, 0x0F7F, { 0xC90FDAA22168C235ull, 0x4000 } };
// Round down for SSE, 53-bit precision for x87; 1.0 on the x87 stack.
constexpr FpuPattern pattern_b { 0x5A, 0x3F80, 0x027F, { 0x8000000000000000ull, 0x3FFF } };

constexpr u32 initial_mxcsr = 0x1F80;
constexpr u32 initial_control_word = 0x037F;
constexpr u32 empty_tag_word = 0xFFFF;
// Tag word with only physical register 7 (the top after one push) valid.
constexpr u32 one_value_tag_word = 0x3FFF;

bool avx_enabled()
{
    return (fpu_enabled_xcr0() & xsave_component_avx) != 0;
}

usize vector_width()
{
    return avx_enabled() ? 32 : 16;
}

void fill_vectors(VectorRegisters& vectors, u8 seed)
{
    for (usize slot = 0; slot < vector_register_count; ++slot) {
        for (usize byte = 0; byte < vector_slot_size; ++byte)
            vectors.bytes[slot][byte] = static_cast<u8>(seed + slot * 37 + byte * 7 + 1);
    }
}

void load_vectors(const VectorRegisters& source)
{
    if (avx_enabled())
        fpu_test_load_avx_registers(&source);
    else
        fpu_test_load_sse_registers(&source);
}

void store_vectors(VectorRegisters& destination)
{
    if (avx_enabled())
        fpu_test_store_avx_registers(&destination);
    else
        fpu_test_store_sse_registers(&destination);
}

// Counts the bytes, within the width the FPU holds, where the two differ.
u32 mismatched_bytes(const VectorRegisters& actual, const VectorRegisters& expected)
{
    u32 mismatches = 0;
    for (usize slot = 0; slot < vector_register_count; ++slot) {
        for (usize byte = 0; byte < vector_width(); ++byte)
            mismatches += actual.bytes[slot][byte] != expected.bytes[slot][byte] ? 1 : 0;
    }
    return mismatches;
}

// Puts `pattern` (with `vectors` built from its seed) into every register the tests look
// at, leaving exactly one value on the x87 stack.
void load_pattern(const FpuPattern& pattern, const VectorRegisters& vectors)
{
    fpu_test_reset_x87_and_set_controls(pattern.mxcsr, pattern.control_word);
    load_vectors(vectors);
    fpu_test_push_x87(&pattern.x87_value);
}

// What a CPU read back after a round trip through save_fpu_state/restore_fpu_state.
struct RoundTripResult {
    bool ran;
    u32 mismatched_vector_bytes;
    u32 mxcsr;
    u32 control_word;
    u32 stack_top;
    u32 tag_word;
    ExtendedPrecision x87_value;
    u32 changed_guard_bytes;
};

// Shared by the tests and by the cross-CPU calls, which run one at a time. Static rather
// than on the stack, as cross-CPU calls run on whatever stack the interrupt arrived on.
alignas(fpu_state_alignment) u8 s_area[area_capacity];
VectorRegisters s_vectors_a;
VectorRegisters s_vectors_b;
VectorRegisters s_stored;
const VectorRegisters s_zero_vectors {};

// Loads pattern A, saves it, overwrites every register with pattern B, restores the saved
// area and reads the registers back; they must hold pattern A again. Runs on the calling
// CPU (directly, or from a cross-CPU call on another one); the shared area is safe because
// run_on_processor finishes one CPU before the next starts.
void round_trip_on_this_cpu(void* result_pointer)
{
    // Invariant: callers pass a RoundTripResult that outlives the call.
    auto& result = *static_cast<RoundTripResult*>(result_pointer);
    usize size = fpu_state_size();
    fill_vectors(s_vectors_a, pattern_a.vector_seed);
    fill_vectors(s_vectors_b, pattern_b.vector_seed);
    __builtin_memset(&s_stored, unwritten_pattern, sizeof(s_stored));
    X87Environment environment {};
    initialize_fpu_state(s_area);
    __builtin_memset(s_area + size, guard_pattern, guard_size);
    {
        InterruptsDisabled interrupts_off;
        load_pattern(pattern_a, s_vectors_a);
        save_fpu_state(s_area);
        load_pattern(pattern_b, s_vectors_b);
        restore_fpu_state(s_area);
        store_vectors(s_stored);
        result.mxcsr = fpu_test_read_mxcsr();
        fpu_test_store_x87_environment(&environment);
        fpu_test_pop_x87(&result.x87_value);
    }
    result.ran = true;
    result.mismatched_vector_bytes = mismatched_bytes(s_stored, s_vectors_a);
    result.control_word = environment.control_word & 0xFFFF;
    result.stack_top = (environment.status_word >> 11) & 7;
    result.tag_word = environment.tag_word & 0xFFFF;
    result.changed_guard_bytes = 0;
    for (usize offset = 0; offset < guard_size; ++offset)
        result.changed_guard_bytes += s_area[size + offset] != guard_pattern ? 1 : 0;
}

void expect_round_trip_kept_pattern_a(Kernel::Test::TestContext& test_context, const RoundTripResult& result)
{
    EXPECT(result.ran);
    EXPECT_EQ(result.mismatched_vector_bytes, 0u);
    EXPECT_EQ(result.mxcsr, pattern_a.mxcsr);
    EXPECT_EQ(result.control_word, pattern_a.control_word);
    EXPECT_EQ(result.stack_top, 7u);
    EXPECT_EQ(result.tag_word, one_value_tag_word);
    EXPECT_EQ(result.x87_value.significand, pattern_a.x87_value.significand);
    EXPECT_EQ(result.x87_value.sign_and_exponent, pattern_a.x87_value.sign_and_exponent);
    EXPECT_EQ(result.changed_guard_bytes, 0u);
}

u64 read_xcr0()
{
    u32 low;
    u32 high;
    // Invariant: called only when CR4.OSXSAVE is set (fpu_uses_xsave), so xgetbv is legal;
    // it reads the XCR numbered in ECX into EDX:EAX and touches no memory.
    asm volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return (static_cast<u64>(high) << 32) | low;
}

// The FPU control bits one CPU runs with, as initialize_fpu_on_this_cpu left them.
struct CpuFpuControls {
    bool ran;
    u64 cr0;
    u64 cr4;
    u64 xcr0;
};
CpuFpuControls s_controls[max_processors];

void record_controls(void*)
{
    CpuFpuControls& controls = s_controls[current_processor_index()];
    controls.cr0 = read_cr0();
    controls.cr4 = read_cr4();
    controls.xcr0 = fpu_uses_xsave() ? read_xcr0() : 0;
    controls.ran = true;
}

} // namespace

KERNEL_TEST(fpu, state_size_covers_the_enabled_components)
{
    usize size = fpu_state_size();
    u64 xcr0 = fpu_enabled_xcr0();
    EXPECT_EQ(fpu_state_alignment, 64u);
    EXPECT(size >= fxsave_area_size);
    EXPECT(size + guard_size <= area_capacity);
    EXPECT_EQ(fpu_uses_xsave(), xcr0 != 0);
    if (!fpu_uses_xsave()) {
        EXPECT_EQ(size, fxsave_area_size);
        return;
    }
    EXPECT(size >= xsave_minimum_area_size);
    EXPECT_EQ(xcr0 & (xsave_component_x87 | xsave_component_sse), xsave_component_x87 | xsave_component_sse);
    if (xcr0 & xsave_component_avx)
        EXPECT(size >= 832u);
    u64 avx512 = xcr0 & xsave_components_avx512;
    EXPECT(avx512 == 0 || (avx512 == xsave_components_avx512 && (xcr0 & xsave_component_avx)));
    // Every enabled component beyond the legacy region lies inside the area, at the
    // standard-format offset (EBX) and size (EAX) that CPUID leaf 0xD reports for it.
    for (u32 component = 2; component < 64; ++component) {
        if (!(xcr0 & (1ull << component)))
            continue;
        CpuidResult layout = cpuid(0xD, component);
        EXPECT(static_cast<usize>(layout.ebx) + layout.eax <= size);
    }
}

KERNEL_TEST(fpu, save_and_restore_round_trip)
{
    RoundTripResult result {};
    round_trip_on_this_cpu(&result);
    expect_round_trip_kept_pattern_a(test_context, result);
}

KERNEL_TEST(fpu, initial_state_is_clean)
{
    fill_vectors(s_vectors_a, pattern_a.vector_seed);
    __builtin_memset(&s_stored, unwritten_pattern, sizeof(s_stored));
    X87Environment environment {};
    u32 mxcsr = 0;
    initialize_fpu_state(s_area);
    {
        InterruptsDisabled interrupts_off;
        // Dirty every register first, so that only the restore can make them clean.
        load_pattern(pattern_a, s_vectors_a);
        restore_fpu_state(s_area);
        store_vectors(s_stored);
        mxcsr = fpu_test_read_mxcsr();
        fpu_test_store_x87_environment(&environment);
    }
    EXPECT_EQ(mismatched_bytes(s_stored, s_zero_vectors), 0u);
    EXPECT_EQ(mxcsr, initial_mxcsr);
    EXPECT_EQ(environment.control_word & 0xFFFF, initial_control_word);
    EXPECT_EQ(environment.status_word & 0xFFFF, 0u);
    EXPECT_EQ(environment.tag_word & 0xFFFF, empty_tag_word);
}

KERNEL_TEST(fpu, every_cpu_has_the_same_configuration_and_round_trips)
{
    constexpr u64 cr0_monitor_coprocessor = 1ull << 1;
    constexpr u64 cr0_emulation = 1ull << 2;
    constexpr u64 cr0_task_switched = 1ull << 3;
    constexpr u64 cr4_osfxsr = 1ull << 9;
    constexpr u64 cr4_osxmmexcpt = 1ull << 10;
    constexpr u64 cr4_osxsave = 1ull << 18;
    for (auto& controls : s_controls)
        controls = {};
    for (u32 index = 0; index < processor_count(); ++index)
        run_on_processor(index, record_controls, nullptr);
    for (u32 index = 0; index < processor_count(); ++index) {
        const CpuFpuControls& controls = s_controls[index];
        EXPECT(controls.ran);
        EXPECT_EQ(controls.cr0 & (cr0_monitor_coprocessor | cr0_emulation | cr0_task_switched),
            cr0_monitor_coprocessor);
        EXPECT_EQ(controls.cr4 & (cr4_osfxsr | cr4_osxmmexcpt), cr4_osfxsr | cr4_osxmmexcpt);
        EXPECT_EQ((controls.cr4 & cr4_osxsave) != 0, fpu_uses_xsave());
        EXPECT_EQ(controls.xcr0, fpu_enabled_xcr0());

        RoundTripResult result {};
        run_on_processor(index, round_trip_on_this_cpu, &result);
        expect_round_trip_kept_pattern_a(test_context, result);
    }
}
