#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Boot/KernelOptions.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Panic/Backtrace.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Test/QemuExit.h>

extern "C" const Core::u8 __kernel_symbols_start[];
extern "C" const Core::u8 __kernel_symbols_end[];

namespace Kernel::Panic {

namespace {

SymbolTable s_kernel_symbols;
bool s_panicking = false;
Core::u32 s_other_processors_stopped = 0;
constexpr Core::usize max_backtrace_frames = 32;

// Writes panic text straight to the consoles, bypassing the log lock and ring.
class PanicWriter final : public Core::FormatSink {
public:
    void write(Core::StringView text) override
    {
        Log::write_to_consoles_for_panic(text, Console::Color::BrightRed);
    }
    template<typename... Arguments> void print(Core::StringView format_string, const Arguments&... arguments)
    {
        Core::format_to(*this, format_string, arguments...);
    }
};

// A return address points just past its call instruction, which may be past the end of
// the calling function (a call to a [[noreturn]] function is often its last instruction).
// Return addresses are therefore symbolized one byte earlier, inside the call.
enum class AddressKind {
    InstructionPointer,
    ReturnAddress,
};

void print_address(PanicWriter& writer, Core::u64 address, AddressKind kind)
{
    writer.print("{:#018x}", address);
    Core::u64 lookup_address = kind == AddressKind::ReturnAddress ? address - 1 : address;
    auto match = s_kernel_symbols.lookup(lookup_address);
    if (match.has_value())
        writer.print(" {}+{:#x}", match->name, address - match->symbol_address);
    else
        writer.print(" ?");
}

void print_backtrace(PanicWriter& writer, Core::u64 first_address, Core::u64 frame_pointer)
{
    Core::u64 addresses[max_backtrace_frames];
    Core::usize count = 0;
    if (first_address != 0)
        addresses[count++] = first_address;
    Core::usize first_return_address = count;
    // count is 0 or 1 here, so addresses + count stays inside the array and the span
    // covers exactly the slots still free.
    count += collect_backtrace(
        frame_pointer, Core::Span<Core::u64>(addresses + count, max_backtrace_frames - count));
    writer.print("backtrace:\n");
    for (Core::usize index = 0; index < count; ++index) {
        writer.print("  #{:<2} ", index);
        print_address(writer, addresses[index],
            index >= first_return_address ? AddressKind::ReturnAddress : AddressKind::InstructionPointer);
        writer.print("\n");
    }
}

void print_page_fault_cause(PanicWriter& writer, Core::u64 error_code, Core::u64 faulting_address)
{
    constexpr Core::u64 present = 1u << 0;
    constexpr Core::u64 write = 1u << 1;
    constexpr Core::u64 user_mode = 1u << 2;
    constexpr Core::u64 reserved_bit = 1u << 3;
    constexpr Core::u64 instruction_fetch = 1u << 4;
    constexpr Core::u64 protection_key = 1u << 5;
    // A protection fault by the kernel on a user page is SMAP (data) or SMEP (code).
    bool kernel_touched_user_page = false;
    if ((error_code & present) && !(error_code & user_mode)) {
        auto translation = Memory::translate(faulting_address);
        kernel_touched_user_page = translation.has_value() && translation->protection.user;
    }
    writer.print(" [");
    // A reserved-bit fault reports its error code without P on some CPUs (and in QEMU),
    // so RSVD is checked first.
    if (error_code & reserved_bit)
        writer.print("reserved-bit violation");
    else if (kernel_touched_user_page)
        writer.print((error_code & instruction_fetch) ? "SMEP violation" : "SMAP violation");
    else if (error_code & present)
        writer.print("protection violation");
    else
        writer.print("page not present");
    if (error_code & instruction_fetch)
        writer.print(", instruction fetch");
    else
        writer.print((error_code & write) ? ", write" : ", read");
    writer.print((error_code & user_mode) ? ", user mode" : ", kernel mode");
    if (error_code & protection_key)
        writer.print(", protection key");
    writer.print("]");
}

// Marks the panic as started; a second panic (a fault inside the panic path) only
// prints a line and stops, so the first report is not lost in a loop.
void begin_panic()
{
    Arch::disable_interrupts();
    if (__atomic_exchange_n(&s_panicking, true, __ATOMIC_ACQ_REL)) {
        Log::write_to_consoles_for_panic("\nnested panic: stopping\n", Console::Color::BrightRed);
        Arch::halt_forever();
    }
    // Every other CPU stops now (NMI), so nothing changes under the report.
    s_other_processors_stopped = Arch::stop_other_processors();
}

[[noreturn]] void end_panic(PanicWriter& writer)
{
    // The other CPUs were stopped by NMI when the panic began.
    writer.print("{} other CPUs stopped. CPU halted.\n", s_other_processors_stopped);
    if (Boot::kernel_options().panic_action == Boot::PanicAction::QemuExit)
        Test::exit_qemu(Test::QemuExitCode::Panic);
    Arch::halt_forever();
}

} // namespace

void load_kernel_symbols()
{
    // The linker script brackets the section with these symbols; the size is computed on
    // integers because the two are distinct objects to the compiler.
    auto start = reinterpret_cast<Core::uptr>(__kernel_symbols_start);
    auto end = reinterpret_cast<Core::uptr>(__kernel_symbols_end);
    Core::ReadonlyBytes blob(__kernel_symbols_start, end - start);
    auto table = SymbolTable::parse(blob);
    if (table.is_error()) {
        Log::warning("panic: no usable embedded symbol table ({}); backtraces will show addresses only",
            table.error().name());
        return;
    }
    s_kernel_symbols = table.value();
    Log::debug("panic: {} kernel symbols loaded", s_kernel_symbols.symbol_count());
}

bool is_panicking()
{
    return __atomic_load_n(&s_panicking, __ATOMIC_ACQUIRE);
}

const SymbolTable& kernel_symbols()
{
    return s_kernel_symbols;
}

void panic_with_message(Core::StringView message)
{
    begin_panic();
    PanicWriter writer;
    writer.print("\n================ KERNEL PANIC ================\n");
    writer.print("reason: {}\n", message);
    // The kernel is built with frame pointers, so this frame is the head of a chain of
    // frame records; it travels as an integer because collect_backtrace checks every
    // frame is aligned and mapped before it dereferences anything.
    print_backtrace(writer, 0, reinterpret_cast<Core::u64>(__builtin_frame_address(0)));
    end_panic(writer);
}

void panic_on_exception(const Arch::RegisterState& registers)
{
    begin_panic();
    Core::u64 cr2 = Arch::read_cr2();
    PanicWriter writer;
    writer.print("\n================ KERNEL PANIC ================\n");
    writer.print("reason: unhandled {} {} (vector {})\n", Arch::exception_mnemonic(registers.vector),
        Arch::exception_name(registers.vector), registers.vector);
    writer.print("error code: {:#x}", registers.error_code);
    if (registers.vector == Arch::page_fault_vector)
        print_page_fault_cause(writer, registers.error_code, cr2);
    writer.print("\n");
    if (registers.vector == Arch::page_fault_vector)
        writer.print("faulting address: {:#018x}\n", cr2);
    writer.print("RIP: ");
    print_address(writer, registers.rip, AddressKind::InstructionPointer);
    writer.print("\n");
    writer.print("RAX={:#018x} RBX={:#018x} RCX={:#018x} RDX={:#018x}\n", registers.rax, registers.rbx,
        registers.rcx, registers.rdx);
    writer.print("RSI={:#018x} RDI={:#018x} RBP={:#018x} RSP={:#018x}\n", registers.rsi, registers.rdi,
        registers.rbp, registers.rsp);
    writer.print("R8 ={:#018x} R9 ={:#018x} R10={:#018x} R11={:#018x}\n", registers.r8, registers.r9,
        registers.r10, registers.r11);
    writer.print("R12={:#018x} R13={:#018x} R14={:#018x} R15={:#018x}\n", registers.r12, registers.r13,
        registers.r14, registers.r15);
    writer.print("RFLAGS={:#018x} CS={:#06x} SS={:#06x}\n", registers.rflags, registers.cs, registers.ss);
    writer.print("CR0={:#018x} CR2={:#018x} CR3={:#018x} CR4={:#018x}\n", Arch::read_cr0(), cr2,
        Arch::read_cr3(), Arch::read_cr4());
    print_backtrace(writer, registers.rip, registers.rbp);
    end_panic(writer);
}

} // namespace Kernel::Panic
