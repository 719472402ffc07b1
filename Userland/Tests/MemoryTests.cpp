// User-space tests of memory objects and mappings through the system calls: every call's
// success and failure paths (bad pointers, wrong handle types, stale handles, missing
// rights, unknown flags, W+X), demand-zero pages, copy-on-write isolation both ways, and
// faults after vm_protect and vm_unmap. A fault ends the whole process, so the faults are
// seen from probe processes (MemoryProbe.cpp, carried in this image): each gets this
// program's mapping at the same address, set up with vm_map, vm_protect and vm_unmap
// through its process handle before it starts, touches one byte, and exits with the byte
// or the page fault's status.
// The kernel test kernel.syscalls.memory_calls_from_user_space runs it; it exits with 0, or
// the number of the first check that failed.
//
// Argument 1 instead maps a fresh object at a kernel-chosen address and exits with that
// address, so the kernel test can compare two runs (ASLR).

#include <ABI/Memory.h>
#include <ABI/ObjectType.h>
#include <ABI/Process.h>
#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>
#include <Userland/Tests/Checks.h>
#include <Userland/Tests/MemoryProbe.h>

using ABI::ErrorCode;
using System::failure;

extern "C" const char memory_probe_image[];
extern "C" const char memory_probe_image_end[];

namespace {

constexpr uint64_t page = ABI::memory_page_size;
constexpr uint64_t read_write = ABI::vm_read | ABI::vm_write;
// User addresses nothing maps: below every program image and the mapping window.
constexpr uint64_t unmapped_address = 0x20000;
constexpr uint64_t kernel_address = 0xFFFFFFFF80000000ull;

char s_buffer[2 * 4096];

// A probe's status when it could not be set up, started or waited for: no probe exits with
// it (a byte, or a fault's status).
constexpr int64_t probe_not_run = -999'999;

// Creates a probe process, lets `prepare` set up its address space through the handle
// (true when every call worked), then starts it to read, or write, the byte at the
// page-aligned `address`. Returns its exit status: the byte, or the page fault's status.
// The kernel loads the probe's image between 4 GiB and 4 GiB + 2 TiB and its stack in the
// top terabyte, so fixed mappings at this program's kernel-chosen addresses (16 TiB to
// 112 TiB) never collide with them.
template<typename Prepare> int64_t probe(uint64_t address, bool write, Prepare prepare)
{
    static constexpr char name[] = "memory probe";
    int64_t created = System::process_create(name, sizeof(name) - 1);
    if (created < 0)
        return probe_not_run;
    auto process = static_cast<uint32_t>(created);
    int64_t status = probe_not_run;
    if (prepare(process)) {
        ABI::ProcessStartArguments arguments {};
        arguments.image_address = reinterpret_cast<uint64_t>(memory_probe_image);
        arguments.image_size = static_cast<uint64_t>(memory_probe_image_end - memory_probe_image);
        arguments.argument = address | (write ? MemoryProbe::write_flag : 0);
        if (System::process_start(process, &arguments) != 0 || System::process_wait(process, &status) != 0)
            status = probe_not_run;
    }
    (void)System::handle_close(process);
    return status;
}

constexpr int64_t page_fault_status = ABI::fault_exit_status_base - 14;

constexpr uint32_t raw(ABI::Rights rights)
{
    return rights.raw();
}

bool all_bytes_are(const volatile uint8_t* bytes, uint64_t length, uint8_t value)
{
    for (uint64_t index = 0; index < length; ++index) {
        if (bytes[index] != value)
            return false;
    }
    return true;
}

void fill(char* bytes, uint64_t length, char value)
{
    for (uint64_t index = 0; index < length; ++index)
        bytes[index] = value;
}

} // namespace

extern "C" int64_t main(uint64_t argument, uint64_t self_value)
{
    auto self = static_cast<uint32_t>(self_value);
    if (argument == 1) {
        int64_t memory = System::memory_object_create(page);
        if (memory < 0)
            return memory;
        return System::vm_map(self, static_cast<uint32_t>(memory), 0, page, read_write);
    }

    CheckCounter checks;

    // ---- memory_object_create and memory_object_size --------------------------------------
    int64_t created = System::memory_object_create(4 * page);
    if (!checks.expect(created > 0))
        return checks.failed_check();
    auto memory = static_cast<uint32_t>(created);
    int64_t info = System::handle_info(memory);
    if (!checks.expect((info >> 32) == static_cast<int64_t>(ABI::ObjectType::MemoryObject)))
        return checks.failed_check();
    // Read, Write, Map, Duplicate, Transfer; never Execute.
    if (!checks.expect((info & 0xFFFFFFFF)
            == raw(ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Duplicate
                | ABI::Right::Transfer)))
        return checks.failed_check();
    if (!checks.expect(System::memory_object_size(memory) == static_cast<int64_t>(4 * page)))
        return checks.failed_check();
    if (!checks.expect(System::memory_object_create(0) == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create(page + 1) == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create(page, 1) == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create(ABI::memory_object_maximum_size + page)
                == failure(ErrorCode::OutOfRange)
            && System::memory_object_create(~uint64_t(0) & ~(page - 1)) == failure(ErrorCode::OutOfRange)))
        return checks.failed_check();
    if (!checks.expect(System::memory_object_size(self) == failure(ErrorCode::WrongType)
            && System::memory_object_size(0) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();

    // ---- memory_object_read and memory_object_write ---------------------------------------
    // Demand-zero: untouched pages read as zero.
    fill(s_buffer, sizeof(s_buffer), 1);
    if (!checks.expect(System::memory_object_read(memory, 0, s_buffer, sizeof(s_buffer)) == 0
            && all_bytes_are(reinterpret_cast<uint8_t*>(s_buffer), sizeof(s_buffer), 0)))
        return checks.failed_check();
    // A write across a page boundary reads back.
    fill(s_buffer, 100, 'a');
    if (!checks.expect(System::memory_object_write(memory, page - 50, s_buffer, 100) == 0))
        return checks.failed_check();
    fill(s_buffer, sizeof(s_buffer), 0);
    if (!checks.expect(System::memory_object_read(memory, page - 60, s_buffer, 120) == 0
            && all_bytes_are(reinterpret_cast<uint8_t*>(s_buffer), 10, 0)
            && all_bytes_are(reinterpret_cast<uint8_t*>(s_buffer) + 10, 100, 'a')
            && all_bytes_are(reinterpret_cast<uint8_t*>(s_buffer) + 110, 10, 0)))
        return checks.failed_check();
    // Bad user pointers: NULL, kernel, unmapped, wrapping.
    if (!checks.expect(System::memory_object_read(memory, 0, nullptr, 16) == failure(ErrorCode::BadAddress)
            && System::memory_object_read(memory, 0, reinterpret_cast<void*>(kernel_address), 16)
                == failure(ErrorCode::BadAddress)
            && System::memory_object_read(memory, 0, reinterpret_cast<void*>(unmapped_address), 16)
                == failure(ErrorCode::BadAddress)
            && System::memory_object_write(memory, 0, reinterpret_cast<void*>(unmapped_address), 16)
                == failure(ErrorCode::BadAddress)
            && System::memory_object_write(memory, 0, s_buffer, ~uint64_t(0) - 8)
                == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    // Past the end, zero length.
    if (!checks.expect(
            System::memory_object_read(memory, 4 * page - 8, s_buffer, 16) == failure(ErrorCode::OutOfRange)
            && System::memory_object_write(memory, ~uint64_t(0) - 4, s_buffer, 16)
                == failure(ErrorCode::OutOfRange)
            && System::memory_object_read(memory, 0, s_buffer, 0) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    // Wrong type, and missing rights: a read-only and a write-only duplicate.
    if (!checks.expect(System::memory_object_read(self, 0, s_buffer, 16) == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    int64_t read_only = System::handle_duplicate(memory, raw(ABI::Right::Read | ABI::Right::Map));
    int64_t write_only = System::handle_duplicate(memory, raw(ABI::Right::Write));
    if (!checks.expect(read_only > 0 && write_only > 0))
        return checks.failed_check();
    if (!checks.expect(System::memory_object_write(static_cast<uint32_t>(read_only), 0, s_buffer, 16)
                == failure(ErrorCode::AccessDenied)
            && System::memory_object_read(static_cast<uint32_t>(write_only), 0, s_buffer, 16)
                == failure(ErrorCode::AccessDenied)
            && System::memory_object_read(static_cast<uint32_t>(read_only), 0, s_buffer, 16) == 0))
        return checks.failed_check();
    // Stale after close.
    if (!checks.expect(System::handle_close(static_cast<uint32_t>(write_only)) == 0
            && System::memory_object_write(static_cast<uint32_t>(write_only), 0, s_buffer, 16)
                == failure(ErrorCode::BadHandle)
            && System::memory_object_size(static_cast<uint32_t>(write_only))
                == failure(ErrorCode::BadHandle)))
        return checks.failed_check();

    // ---- vm_map ------------------------------------------------------------------------------
    int64_t first_mapping = System::vm_map(self, memory, 0, 4 * page, read_write);
    int64_t second_mapping = System::vm_map(self, memory, page, page, ABI::vm_read);
    if (!checks.expect(first_mapping > 0 && second_mapping > 0))
        return checks.failed_check();
    // Kernel-chosen addresses: page aligned, in user space, and random (two differ).
    if (!checks.expect(first_mapping % page == 0 && second_mapping % page == 0
            && first_mapping != second_mapping
            && static_cast<uint64_t>(first_mapping) < 0x0000800000000000ull))
        return checks.failed_check();
    auto* mapped = reinterpret_cast<volatile uint8_t*>(first_mapping);
    // The mapping shows what was written through the call, and untouched pages are zero.
    if (!checks.expect(mapped[page - 50] == 'a' && mapped[page + 49] == 'a' && mapped[page + 50] == 0
            && all_bytes_are(mapped + 2 * page, 2 * page, 0)))
        return checks.failed_check();
    // A store through the mapping is seen by the call and by the other mapping.
    mapped[page + 8] = 'z';
    char byte = 0;
    if (!checks.expect(System::memory_object_read(memory, page + 8, &byte, 1) == 0 && byte == 'z'
            && reinterpret_cast<volatile uint8_t*>(second_mapping)[8] == 'z'))
        return checks.failed_check();
    // The kernel copying into a mapped page that is not present yet makes it present.
    fill(s_buffer, 32, 'q');
    if (!checks.expect(System::memory_object_write(memory, 3 * page, s_buffer, 32) == 0))
        return checks.failed_check();
    int64_t fresh = System::memory_object_create(page);
    int64_t fresh_mapping
        = fresh > 0 ? System::vm_map(self, static_cast<uint32_t>(fresh), 0, page, read_write) : -1;
    if (!checks.expect(fresh_mapping > 0
            && System::memory_object_read(memory, 3 * page, reinterpret_cast<void*>(fresh_mapping), 32) == 0
            && all_bytes_are(reinterpret_cast<volatile uint8_t*>(fresh_mapping), 32, 'q')))
        return checks.failed_check();

    // Refusals: flags, W+X, alignment, lengths, ranges, addresses.
    if (!checks.expect(System::vm_map(self, memory, 0, page, ABI::vm_read | ABI::vm_write | ABI::vm_execute)
                == failure(ErrorCode::InvalidArgument)
            && System::vm_map(self, memory, 0, page, ABI::vm_read | (1u << 7))
                == failure(ErrorCode::InvalidArgument)
            && System::vm_map(self, memory, 0, page, ABI::vm_write) == failure(ErrorCode::InvalidArgument)
            && System::vm_map(self, memory, 0, 0, ABI::vm_read) == failure(ErrorCode::InvalidArgument)
            && System::vm_map(self, memory, 0, page + 1, ABI::vm_read) == failure(ErrorCode::InvalidArgument)
            && System::vm_map(self, memory, 100, page, ABI::vm_read) == failure(ErrorCode::InvalidArgument)
            && System::vm_map(self, memory, 0, 5 * page, ABI::vm_read) == failure(ErrorCode::OutOfRange)
            && System::vm_map(self, memory, ~uint64_t(0) & ~(page - 1), 2 * page, ABI::vm_read)
                == failure(ErrorCode::OutOfRange)
            && System::vm_map(self, memory, 0, page, ABI::vm_read, 0x100000)
                == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::vm_map(self, memory, 0, page, ABI::vm_read | ABI::vm_fixed, 0x100010)
                == failure(ErrorCode::InvalidArgument)
            && System::vm_map(self, memory, 0, page, ABI::vm_read | ABI::vm_fixed, kernel_address)
                == failure(ErrorCode::InvalidArgument)
            && System::vm_map(self, memory, 0, page, ABI::vm_read | ABI::vm_fixed, 0)
                == failure(ErrorCode::InvalidArgument)
            && System::vm_map(self, memory, 0, page, ABI::vm_read | ABI::vm_fixed,
                   static_cast<uint64_t>(first_mapping) + page)
                == failure(ErrorCode::AlreadyExists)))
        return checks.failed_check();
    // A program's own pages are mappings too: nothing maps over its code.
    auto own_code = reinterpret_cast<uint64_t>(&fill) & ~(page - 1);
    if (!checks.expect(System::vm_map(self, memory, 0, page, ABI::vm_read | ABI::vm_fixed, own_code)
            == failure(ErrorCode::AlreadyExists)))
        return checks.failed_check();
    // Handles: types, staleness, rights.
    if (!checks.expect(System::vm_map(memory, memory, 0, page, ABI::vm_read) == failure(ErrorCode::WrongType)
            && System::vm_map(self, self, 0, page, ABI::vm_read) == failure(ErrorCode::WrongType)
            && System::vm_map(self, static_cast<uint32_t>(write_only), 0, page, ABI::vm_read)
                == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    int64_t no_map = System::handle_duplicate(memory, raw(ABI::Right::Read | ABI::Right::Write));
    int64_t no_write_process = System::handle_duplicate(self, raw(ABI::Right::Read | ABI::Right::Duplicate));
    if (!checks.expect(no_map > 0 && no_write_process > 0))
        return checks.failed_check();
    if (!checks.expect(System::vm_map(self, static_cast<uint32_t>(no_map), 0, page, ABI::vm_read)
                == failure(ErrorCode::AccessDenied)
            && System::vm_map(self, static_cast<uint32_t>(read_only), 0, page, read_write)
                == failure(ErrorCode::AccessDenied)
            && System::vm_map(self, memory, 0, page, ABI::vm_read | ABI::vm_execute)
                == failure(ErrorCode::AccessDenied)
            && System::vm_map(static_cast<uint32_t>(no_write_process), memory, 0, page, ABI::vm_read)
                == failure(ErrorCode::AccessDenied)
            && System::vm_unmap(
                   static_cast<uint32_t>(no_write_process), static_cast<uint64_t>(first_mapping), page)
                == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();

    // ---- vm_protect --------------------------------------------------------------------------
    // Each probe gets this program's mapping of `memory` at the same address; its changes go
    // through its own process handle, and its access runs on its own address space.
    auto first_address = static_cast<uint64_t>(first_mapping);
    auto mapped_as_here = [&](uint32_t process) {
        return System::vm_map(process, memory, 0, 4 * page, read_write | ABI::vm_fixed, first_address)
            == first_mapping;
    };
    // Read-only: reads still work, a write faults.
    uint64_t protected_page = first_address + 2 * page;
    auto protected_read_only = [&](uint32_t process) {
        return mapped_as_here(process)
            && System::vm_protect(process, protected_page, page, ABI::vm_read) == 0;
    };
    if (!checks.expect(
            System::vm_protect(self, protected_page, page, ABI::vm_read) == 0 && mapped[2 * page] == 0))
        return checks.failed_check();
    if (!checks.expect(probe(protected_page, false, protected_read_only) == 0
            && probe(protected_page, true, protected_read_only) == page_fault_status))
        return checks.failed_check();
    // Back to read-write (within what the handle allowed): the write now works, and this
    // program's mapping of the same object sees it.
    auto protected_back_to_read_write = [&](uint32_t process) {
        return protected_read_only(process)
            && System::vm_protect(process, protected_page, page, read_write) == 0;
    };
    if (!checks.expect(System::vm_protect(self, protected_page, page, read_write) == 0
            && probe(protected_page, true, protected_back_to_read_write) == MemoryProbe::written_byte
            && mapped[2 * page] == MemoryProbe::written_byte))
        return checks.failed_check();
    // No access at all: even reads fault, and the data is kept for later.
    auto protected_to_nothing = [&](uint32_t process) {
        return mapped_as_here(process) && System::vm_protect(process, protected_page, page, 0) == 0;
    };
    auto protected_to_nothing_then_read_only = [&](uint32_t process) {
        return protected_to_nothing(process)
            && System::vm_protect(process, protected_page, page, ABI::vm_read) == 0;
    };
    if (!checks.expect(System::vm_protect(self, protected_page, page, 0) == 0
            && probe(protected_page, false, protected_to_nothing) == page_fault_status
            && probe(protected_page, false, protected_to_nothing_then_read_only) == MemoryProbe::written_byte
            && System::vm_protect(self, protected_page, page, ABI::vm_read) == 0
            && mapped[2 * page] == MemoryProbe::written_byte))
        return checks.failed_check();
    // Beyond the handle's rights (the read-only mapping was made through Read alone, the
    // other lacks Execute), W+X, gaps, alignment, flags.
    int64_t read_only_mapping = System::vm_map(self, static_cast<uint32_t>(read_only), 0, page, ABI::vm_read);
    if (!checks.expect(read_only_mapping > 0
            && System::vm_protect(self, static_cast<uint64_t>(read_only_mapping), page, read_write)
                == failure(ErrorCode::AccessDenied)
            && System::vm_protect(
                   self, static_cast<uint64_t>(first_mapping), page, ABI::vm_read | ABI::vm_execute)
                == failure(ErrorCode::AccessDenied)
            && System::vm_protect(self, static_cast<uint64_t>(first_mapping), page,
                   ABI::vm_read | ABI::vm_write | ABI::vm_execute)
                == failure(ErrorCode::InvalidArgument)
            && System::vm_protect(self, unmapped_address, page, ABI::vm_read) == failure(ErrorCode::NotFound)
            && System::vm_protect(
                   self, static_cast<uint64_t>(first_mapping) + 3 * page, 2 * page, ABI::vm_read)
                == failure(ErrorCode::NotFound)
            && System::vm_protect(self, static_cast<uint64_t>(first_mapping) + 1, page, ABI::vm_read)
                == failure(ErrorCode::InvalidArgument)
            && System::vm_protect(
                   self, static_cast<uint64_t>(first_mapping), page, ABI::vm_read | ABI::vm_fixed)
                == failure(ErrorCode::InvalidArgument)
            && System::vm_protect(self, static_cast<uint64_t>(first_mapping), 0, ABI::vm_read)
                == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    // The code of the program may be made read-only-and-executable, never writable.
    if (!checks.expect(
            System::vm_protect(self, own_code, page, read_write) == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();

    // ---- vm_unmap ----------------------------------------------------------------------------
    // The middle page goes; the pages around it stay (here, the first is 'a' from page - 50
    // on, and the third holds the probe's write).
    uint64_t middle = first_address + page;
    auto middle_unmapped = [&](uint32_t process) {
        return mapped_as_here(process) && System::vm_unmap(process, middle, page) == 0;
    };
    if (!checks.expect(System::vm_unmap(self, middle, page) == 0 && mapped[page - 50] == 'a'
            && mapped[2 * page] == MemoryProbe::written_byte))
        return checks.failed_check();
    if (!checks.expect(probe(middle, false, middle_unmapped) == page_fault_status
            && probe(middle - page, false, middle_unmapped) == 0
            && probe(middle + page, false, middle_unmapped) == MemoryProbe::written_byte))
        return checks.failed_check();
    if (!checks.expect(System::vm_unmap(self, middle, page) == failure(ErrorCode::NotFound)
            && System::vm_unmap(self, middle + 1, page) == failure(ErrorCode::InvalidArgument)
            && System::vm_unmap(self, middle, 0) == failure(ErrorCode::InvalidArgument)
            && System::vm_unmap(self, kernel_address, page) == failure(ErrorCode::InvalidArgument)
            && System::vm_unmap(self, middle, ~uint64_t(0) & ~(page - 1))
                == failure(ErrorCode::InvalidArgument)
            && System::vm_unmap(memory, middle, page) == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    // A range across the rest removes both pieces; the object (still open) keeps its data,
    // and a fixed mapping at the old address gets it back.
    auto all_unmapped = [&](uint32_t process) {
        return middle_unmapped(process) && System::vm_unmap(process, first_address, 4 * page) == 0;
    };
    if (!checks.expect(System::vm_unmap(self, first_address, 4 * page) == 0
            && probe(first_address, false, all_unmapped) == page_fault_status
            && probe(first_address + 2 * page, false, all_unmapped) == page_fault_status))
        return checks.failed_check();
    int64_t again = System::vm_map(
        self, memory, 0, page, ABI::vm_read | ABI::vm_fixed, static_cast<uint64_t>(first_mapping));
    if (!checks.expect(again == first_mapping && mapped[page - 50] == 'a'))
        return checks.failed_check();
    // A mapping outlives the handle it was made through.
    if (!checks.expect(System::handle_close(memory) == 0 && mapped[page - 50] == 'a'))
        return checks.failed_check();

    // ---- copy-on-write children --------------------------------------------------------------
    int64_t parent_created = System::memory_object_create(2 * page);
    if (!checks.expect(parent_created > 0))
        return checks.failed_check();
    auto parent = static_cast<uint32_t>(parent_created);
    fill(s_buffer, sizeof(s_buffer), 'p');
    if (!checks.expect(System::memory_object_write(parent, 0, s_buffer, page) == 0))
        return checks.failed_check();
    int64_t child_created = System::memory_object_create_child(parent, 0, 2 * page);
    if (!checks.expect(child_created > 0))
        return checks.failed_check();
    auto child = static_cast<uint32_t>(child_created);
    // The child reads as the parent, and sees the parent's writes to pages it has not taken.
    if (!checks.expect(System::memory_object_read(child, 0, &byte, 1) == 0 && byte == 'p'))
        return checks.failed_check();
    char letter = 'P';
    if (!checks.expect(System::memory_object_write(parent, 10, &letter, 1) == 0
            && System::memory_object_read(child, 10, &byte, 1) == 0 && byte == 'P'))
        return checks.failed_check();
    // The child's write is its own ...
    letter = 'c';
    if (!checks.expect(System::memory_object_write(child, 20, &letter, 1) == 0
            && System::memory_object_read(parent, 20, &byte, 1) == 0 && byte == 'p'
            && System::memory_object_read(child, 20, &byte, 1) == 0 && byte == 'c'))
        return checks.failed_check();
    // ... and once taken, the page no longer follows the parent.
    letter = 'X';
    if (!checks.expect(System::memory_object_write(parent, 30, &letter, 1) == 0
            && System::memory_object_read(child, 30, &byte, 1) == 0 && byte == 'p'))
        return checks.failed_check();
    // Through mappings: the child's stores stay out of the parent and the other way round.
    int64_t child_mapping = System::vm_map(self, child, 0, 2 * page, read_write);
    int64_t parent_mapping = System::vm_map(self, parent, 0, 2 * page, read_write);
    if (!checks.expect(child_mapping > 0 && parent_mapping > 0))
        return checks.failed_check();
    auto* child_bytes = reinterpret_cast<volatile uint8_t*>(child_mapping);
    auto* parent_bytes = reinterpret_cast<volatile uint8_t*>(parent_mapping);
    if (!checks.expect(child_bytes[page + 5] == 0 && child_bytes[0] == 'p'))
        return checks.failed_check();
    child_bytes[page + 5] = 'k';
    parent_bytes[page + 6] = 'm';
    if (!checks.expect(
            parent_bytes[page + 5] == 0 && child_bytes[page + 6] == 0 && child_bytes[page + 5] == 'k'))
        return checks.failed_check();
    // Refusals.
    int64_t no_read = System::handle_duplicate(parent, raw(ABI::Right::Write | ABI::Right::Map));
    if (!checks.expect(no_read > 0
            && System::memory_object_create_child(static_cast<uint32_t>(no_read), 0, page)
                == failure(ErrorCode::AccessDenied)
            && System::memory_object_create_child(parent, 0, 3 * page) == failure(ErrorCode::OutOfRange)
            && System::memory_object_create_child(parent, 2 * page, page) == failure(ErrorCode::OutOfRange)
            && System::memory_object_create_child(parent, 100, page) == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create_child(parent, 0, 0) == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create_child(parent, 0, page, 4) == failure(ErrorCode::InvalidArgument)
            && System::memory_object_create_child(self, 0, page) == failure(ErrorCode::WrongType)
            && System::memory_object_create_child(0, 0, page) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    // A grandchild reads through both.
    int64_t grandchild = System::memory_object_create_child(child, page, page);
    if (!checks.expect(grandchild > 0
            && System::memory_object_read(static_cast<uint32_t>(grandchild), 5, &byte, 1) == 0
            && byte == 'k'))
        return checks.failed_check();
    return 0;
}
