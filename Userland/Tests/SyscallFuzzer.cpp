// The system-call fuzzer: makes a given number of system calls with random numbers and
// random arguments, and must come back from every one. Whatever it passes, the kernel must
// neither panic nor hang, nor end this program (a fault here would be a kernel bug too:
// the program itself only makes calls). The kernel test
// kernel.syscalls.random_calls_never_harm_the_kernel runs it; `./raeen fuzz syscalls`
// runs it longer.
//
// Argument: the number of calls in the upper 32 bits, the seed in the lower 32. Every run
// with the same seed makes the same calls.

#include <ABI/Channel.h>
#include <ABI/Memory.h>
#include <Userland/Runtime/System.h>

// The first and one-past-the-last byte of the program image (the linker defines both).
extern "C" char __ehdr_start[];
extern "C" char _end[];

namespace {

// splitmix64: a fast, well-mixed generator, reproducible from its seed.
class Random {
public:
    explicit Random(uint64_t seed)
        : m_state(seed)
    {
    }
    uint64_t next()
    {
        m_state += 0x9E3779B97F4A7C15ull;
        uint64_t mixed = m_state;
        mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ull;
        mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBull;
        return mixed ^ (mixed >> 31);
    }

private:
    uint64_t m_state;
};

// Printable bytes, so that a debug_log the fuzzer happens to make prints harmless text.
char s_buffer[4096];
// The handle to its own process, and others near it: handle values the kernel will find.
uint64_t s_self_handle;

// A mapping of the fuzzer's own that vm_unmap and vm_protect may aim at: the fuzzer never
// touches it itself (only the kernel does, through calls), so whatever the calls do to it
// cannot end the program.
constexpr uint64_t s_own_mapping_length = 16 * ABI::memory_page_size;
uint64_t s_own_mapping;

// Whether [address, address + length) (the range's end saturating at 2^64) reaches the
// program's image or its stack. vm_unmap and vm_protect on those would end the program
// with a fault that proves nothing about the kernel, so the fuzzer does not make them.
// Worked out from the linker's symbols and the stack pointer every time, never from data
// a call could have overwritten.
bool reaches_own_image_or_stack(uint64_t address, uint64_t length)
{
    uint64_t end = address + length < address ? ~uint64_t(0) : address + length;
    auto image_start = reinterpret_cast<uint64_t>(__ehdr_start);
    auto image_end = reinterpret_cast<uint64_t>(_end);
    uint64_t stack_pointer;
    asm volatile("mov %%rsp, %0" : "=r"(stack_pointer));
    // The stack is 64 KiB below a page-aligned top a few frames above this one
    // (ProgramLoader.h); twice that below, two pages above, covers it with room to spare.
    uint64_t stack_page = stack_pointer & ~(ABI::memory_page_size - 1);
    uint64_t stack_start = stack_page - 128 * 1024;
    uint64_t stack_end = stack_page + 2 * ABI::memory_page_size;
    return (address < image_end && end > image_start) || (address < stack_end && end > stack_start);
}

// An argument of a kind that tends to find mistakes: zero, small numbers, pointers into
// this program's memory (valid, or just past it), kernel and non-canonical addresses,
// all-ones, or anything.
uint64_t random_argument(Random& random)
{
    uint64_t value = random.next();
    switch (value % 10) {
    case 8:
        // Handle values: this process's own, and the next few (those of events it made).
        return s_self_handle + ((value >> 8) % 8) * 0x10000 + (value >> 16) % 4;
    case 0:
        return 0;
    case 1:
        return (value >> 8) % 4096;
    case 2:
        return reinterpret_cast<uint64_t>(s_buffer) + (value >> 8) % sizeof(s_buffer);
    case 3:
        return reinterpret_cast<uint64_t>(s_buffer) + sizeof(s_buffer) - (value >> 8) % 64;
    case 4:
        return 0xFFFFFFFF80000000ull + ((value >> 8) % (1ull << 30));
    case 5:
        return 0x0000800000000000ull + ((value >> 8) % (1ull << 40));
    case 6:
        return ~uint64_t(0) - (value >> 8) % 16;
    case 7:
        return 0xFFFF800000000000ull + ((value >> 8) % (1ull << 32));
    default:
        return random.next();
    }
}

} // namespace

extern "C" int64_t main(uint64_t argument, uint64_t self)
{
    s_self_handle = self;
    uint64_t calls = argument >> 32;
    Random random(argument & 0xFFFFFFFF);
    for (char& byte : s_buffer)
        byte = 'x';
    // A memory object and a mapping of it: the next handle after the process's own, so the
    // handle arguments name a memory object too, and a region the mapping calls can change.
    int64_t memory = System::memory_object_create(s_own_mapping_length);
    if (memory > 0) {
        int64_t mapped = System::vm_map(static_cast<uint32_t>(self), static_cast<uint32_t>(memory), 0,
            s_own_mapping_length, ABI::vm_read | ABI::vm_write);
        s_own_mapping = mapped > 0 ? static_cast<uint64_t>(mapped) : 0;
    }
    for (uint64_t made = 0; made < calls; ++made) {
        uint64_t choice = random.next();
        // Mostly the numbers around the defined calls, sometimes anything at all. Never
        // thread_exit or process_exit (the fuzzer must survive to the end to show the
        // kernel did), nor process_kill (its own process handle, or a duplicate of it, is
        // among the handles it passes); never event_wait, thread_join or process_wait
        // (they rightly wait for ever on what nobody ends), nor thread_create (a thread at
        // a random address runs random code, which tests the program, not the kernel).
        // The process and thread tests cover those calls. vm_unmap and vm_protect never
        // reach its own image or stack (reaches_own_image_or_stack). The waits are made
        // with a short deadline (below).
        uint64_t number = choice % 8 == 0 ? random.next() : (choice >> 8) % 64;
        if (number == static_cast<uint64_t>(ABI::Syscall::ThreadExit)
            || number == static_cast<uint64_t>(ABI::Syscall::ProcessExit)
            || number == static_cast<uint64_t>(ABI::Syscall::ProcessKill)
            || number == static_cast<uint64_t>(ABI::Syscall::EventWait)
            || number == static_cast<uint64_t>(ABI::Syscall::ProcessWait)
            || number == static_cast<uint64_t>(ABI::Syscall::ThreadCreate)
            || number == static_cast<uint64_t>(ABI::Syscall::ThreadJoin))
            continue;
        uint64_t arguments[6];
        for (uint64_t& value : arguments)
            value = random_argument(random);
        bool changes_mappings = number == static_cast<uint64_t>(ABI::Syscall::VmUnmap)
            || number == static_cast<uint64_t>(ABI::Syscall::VmProtect);
        if (changes_mappings) {
            // Half the time at the fuzzer's own mapping, so the calls succeed (and split
            // regions) as often as they fail.
            if (s_own_mapping != 0 && (choice >> 40) % 2 == 0) {
                uint64_t pages = s_own_mapping_length / ABI::memory_page_size;
                uint64_t first = (choice >> 42) % pages;
                arguments[0] = s_self_handle;
                arguments[1] = s_own_mapping + first * ABI::memory_page_size;
                arguments[2] = (1 + (choice >> 48) % (pages - first)) * ABI::memory_page_size;
            }
            if (reaches_own_image_or_stack(arguments[1], arguments[2]))
                continue;
        }
        // The waits with a deadline (object_wait, object_wait_many, port_wait, futex_wait;
        // all take it third) get one at most 100 microseconds away (or already past), so
        // that a wait for what nobody does ends; every other argument stays random.
        if (number == static_cast<uint64_t>(ABI::Syscall::ObjectWait)
            || number == static_cast<uint64_t>(ABI::Syscall::ObjectWaitMany)
            || number == static_cast<uint64_t>(ABI::Syscall::PortWait)
            || number == static_cast<uint64_t>(ABI::Syscall::FutexWait))
            arguments[2] = choice % 4 == 0 ? 0 : System::clock_monotonic() + (arguments[2] % 100'000);
        // channel_call and channel_serve read their deadline from the block they are given:
        // one made here, of random fields but a deadline as short, so that a call on a
        // channel the fuzzer made (with nobody to answer) ends too.
        ABI::ChannelServeArguments channel_block {};
        if (number == static_cast<uint64_t>(ABI::Syscall::ChannelCall)
            || number == static_cast<uint64_t>(ABI::Syscall::ChannelServe)) {
            // The two blocks agree on where the deadline and flags are, and the serve block
            // is the larger: one block serves both calls.
            static_assert(sizeof(ABI::ChannelServeArguments) >= sizeof(ABI::ChannelCallArguments));
            static_assert(__builtin_offsetof(ABI::ChannelServeArguments, deadline_ns)
                == __builtin_offsetof(ABI::ChannelCallArguments, deadline_ns));
            static_assert(__builtin_offsetof(ABI::ChannelServeArguments, flags)
                == __builtin_offsetof(ABI::ChannelCallArguments, flags));
            uint64_t fields[sizeof(channel_block) / sizeof(uint64_t)];
            for (uint64_t& field : fields)
                field = random_argument(random);
            __builtin_memcpy(&channel_block, fields, sizeof(channel_block));
            channel_block.deadline_ns
                = choice % 4 == 0 ? 0 : System::clock_monotonic() + (arguments[2] % 100'000);
            // Mostly flags the calls know, so that they get past decoding.
            if ((choice >> 20) % 4 != 0)
                channel_block.flags = (choice >> 22) % 2;
            arguments[1] = reinterpret_cast<uint64_t>(&channel_block);
        }
        // The register forms of call and serve take their deadline in RBX: as short.
        if (number == static_cast<uint64_t>(ABI::Syscall::ChannelCallRegisters)
            || number == static_cast<uint64_t>(ABI::Syscall::ChannelServeRegisters)) {
            System::RegisterMessage message {};
            message.byte_count = arguments[1] % 4 == 0 ? arguments[1] : arguments[1] % 80;
            for (uint64_t index = 0; index < ABI::channel_register_message_words; ++index)
                message.words[index] = random.next();
            uint64_t deadline = choice % 4 == 0 ? 0 : System::clock_monotonic() + (arguments[2] % 100'000);
            uint64_t report = 0;
            (void)System::Detail::register_message_call(static_cast<ABI::Syscall>(number),
                static_cast<uint32_t>(arguments[0]), message, deadline, report);
            continue;
        }
        // Syscall is 64 bits wide, so numbers the ABI does not define pass through unchanged.
        (void)System::system_call(static_cast<ABI::Syscall>(number), arguments[0], arguments[1], arguments[2],
            arguments[3], arguments[4], arguments[5]);
    }
    return 0;
}
