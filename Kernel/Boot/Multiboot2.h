#pragma once

// Parser for the multiboot2 boot information (GNU Multiboot2 specification, section 3.6).
//
// The information is untrusted input: a buggy bootloader, or a fuzzer, may hand over any
// bytes at any alignment. The parser reads only inside the span it is given, never
// overflows, and never panics. A tag it cannot use is skipped and recorded in
// BootInfo::skipped_tags; only a header that makes the whole structure meaningless is an
// error. It touches no hardware and no global state, so it runs unchanged in host tests
// and under libFuzzer.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Boot/BootInfo.h>

namespace Kernel::Boot {

// The value a multiboot2 bootloader leaves in EAX. Anything else means EBX does not point
// at multiboot2 information and must not be parsed as such.
constexpr Core::u32 multiboot2_bootloader_magic = 0x36D76289;

// Tag types of the boot information. The numbers are fixed by the specification.
enum class Multiboot2TagType : Core::u32 {
    End = 0,
    CommandLine = 1,
    BootloaderName = 2,
    Module = 3,
    BasicMemoryInformation = 4,
    BootDevice = 5,
    MemoryMap = 6,
    Vbe = 7,
    Framebuffer = 8,
    ElfSections = 9,
    Apm = 10,
    Efi32SystemTable = 11,
    Efi64SystemTable = 12,
    Smbios = 13,
    AcpiOldRsdp = 14,
    AcpiNewRsdp = 15,
    Network = 16,
    EfiMemoryMap = 17,
    EfiBootServicesNotTerminated = 18,
    Efi32ImageHandle = 19,
    Efi64ImageHandle = 20,
    ImageLoadBase = 21,
};

// Reads total_size from the first 8 bytes of the information. The kernel entry code knows
// only a pointer; it calls this on an 8-byte span to learn how long a span to hand to
// parse_multiboot2_information(). ErrorCode::Malformed when fewer than 8 bytes are given
// or total_size is smaller than the 8-byte header itself.
[[nodiscard]] Core::Result<Core::u32> multiboot2_information_total_size(Core::ReadonlyBytes header);

// Parses the boot information. `information` is what the caller can safely read; the
// parser uses only its first total_size bytes. ErrorCode::Malformed when the header is
// truncated, total_size < 8, or total_size > information.size(). Every other defect is
// recorded in skipped_tags:
//   - a tag whose size is below 8 or runs past total_size stops parsing (nothing after
//     it can be located), as does a partial tag header at the end;
//   - information without an end tag is recorded with type 0, size 0 and the offset
//     where the end tag was expected;
//   - malformed, duplicate or unknown tags are skipped and parsing continues.
// Known tags the kernel does not use (boot device, ELF sections, EFI memory map, ...) are
// skipped without being recorded.
[[nodiscard]] Core::Result<BootInfo> parse_multiboot2_information(Core::ReadonlyBytes information);

} // namespace Kernel::Boot
