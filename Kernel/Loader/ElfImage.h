#pragma once

// Parser for x86-64 ELF64 executables (System V gABI chapters 4 and 5, x86-64 psABI), as
// the program loader needs them: a static executable (ET_EXEC) or a static position-
// independent executable (ET_DYN without a dynamic linker, "static-pie").
//
// The file is untrusted input: a user, a disk or a fuzzer may supply any bytes. The parser
// reads only inside the span it is given, computes every sum with overflow checks, and
// never panics. It touches no hardware and no global state, so it runs unchanged in host
// tests and under libFuzzer.
//
// What parse() promises about an image it accepts:
//   - between 1 and maximum_load_segments PT_LOAD segments, sorted by address, each with
//     file_size <= memory_size, its file bytes inside the file, and no two sharing a page;
//   - no segment is both writable and executable, and the stack is not executable;
//   - every page of the image lies in [image_start(), image_end()), a span of at most
//     maximum_image_span bytes that, for a static executable, lies inside
//     [user_image_lowest_address, user_image_address_limit); a position-independent image
//     is described relative to base 0 and ends at or below user_image_address_limit;
//   - the entry point lies inside an executable segment;
//   - every relocation is R_X86_64_RELATIVE and its 8-byte target lies inside one writable
//     segment.
//
// Errors: ErrorCode::Malformed when the bytes break a rule of the ELF format (or are not
// ELF at all); ErrorCode::NotSupported when they form a valid ELF file that this loader
// does not run: another class, byte order, version, OS ABI, machine or file type, a
// dynamic linker (PT_INTERP, DT_NEEDED, PLT relocations, symbol-based relocation types),
// an executable stack, a writable and executable segment, two segments sharing a page,
// alignment below a page, more than maximum_load_segments segments, or an image larger
// than maximum_image_span or outside the user address range.
//
// Decisions the specifications leave open:
//   - Alignment. A PT_LOAD p_align must be 0, 1 or a power of two (gABI). 0 and 1 impose
//     nothing in the gABI, but the loader maps whole pages, so they are taken as the page
//     size and p_vaddr must then equal p_offset modulo the page size (NotSupported if not).
//     Powers of two below the page size are NotSupported; from the page size upwards
//     p_vaddr must equal p_offset modulo p_align (Malformed if not) and p_align may be at
//     most maximum_image_span. A position-independent image must be loaded at a base that
//     is a multiple of base_alignment().
//   - Page sharing. Two segments may not touch the same page, even with equal permissions:
//     the loader would have to give the page both segments' permissions, which breaks W^X
//     or makes read-only data writable. Both lld and GNU ld start every segment on a new
//     page (segments may still share a page of the file, which does not matter).
//   - Empty PT_LOAD segments (p_memsz 0) map nothing and are skipped.
//   - PT_TLS is recorded (tls()) for the thread start-up code; its initialisation image
//     must lie inside the file-backed part of a segment at the matching file offset.
//   - PT_DYNAMIC is parsed for both file types. DT_RELA, DT_RELASZ, DT_RELAENT and
//     DT_RELACOUNT are used; DT_NEEDED, DT_JMPREL, DT_PLTREL, DT_PLTRELSZ, DT_REL,
//     DT_RELSZ, DT_RELENT, DT_RELR, DT_RELRSZ and DT_RELRENT are NotSupported; every other
//     tag (symbol and string tables, hashes, flags, DT_DEBUG, init arrays, which a static
//     program's own start-up code runs) is ignored.
//   - A relocation whose target lies in a segment that is not writable (a text
//     relocation) is NotSupported; one whose target is not inside a single segment is
//     Malformed. Targets need not be 8-byte aligned. glibc's static-pie also carries
//     R_X86_64_IRELATIVE relocations (resolved by running the program's own resolver
//     functions) and is therefore NotSupported; -nostdlib and musl programs carry only
//     R_X86_64_RELATIVE ones.
//   - Unknown program header types are ignored, as the gABI allows. So are PT_NOTE,
//     PT_PHDR, PT_GNU_EH_FRAME, PT_GNU_PROPERTY and PT_GNU_RELRO (lld extends the RELRO
//     range to a page boundary past its segment, so it needs rules of its own before the
//     loader can use it). PT_SHLIB, whose meaning the gABI leaves unspecified, is
//     NotSupported. Section headers are not read at all.
//   - e_phnum of PN_XNUM (the real count kept in section header 0) is NotSupported: no
//     executable needs 65535 program headers.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/StaticVector.h>
#include <Core/Types.h>

namespace Kernel::Loader {

// The page size the loader maps segments with.
inline constexpr Core::u64 elf_page_size = 4096;
// The first 64 KiB stay unmapped, so that a null pointer plus a small offset always faults.
inline constexpr Core::u64 user_image_lowest_address = 0x10000;
// The user half ends at 2^47. Its last page stays unmapped: a system call made by an
// instruction that ends exactly at 2^47 would return to a non-canonical address, and on
// Intel CPUs SYSRET then faults in ring 0 with the user's stack pointer.
inline constexpr Core::u64 user_image_address_limit = 0x0000'7FFF'FFFF'F000;
// Keeps a hostile header from asking for more address space than any real program needs.
inline constexpr Core::u64 maximum_image_span = 1ull << 30;
// lld and GNU ld emit at most five PT_LOAD segments; the rest is headroom.
inline constexpr Core::usize maximum_load_segments = 16;

enum class ElfKind : Core::u8 {
    // ET_EXEC: addresses are absolute.
    Static,
    // ET_DYN: addresses are relative to the base the loader chooses.
    PositionIndependent,
};

struct SegmentPermissions {
    bool readable { false };
    bool writable { false };
    bool executable { false };
};

// A PT_LOAD segment. Addresses are relative to the load base for a position-independent
// image. The first file_size bytes of the segment's memory come from the file at
// file_offset; the rest, up to memory_size, is zero.
struct LoadSegment {
    Core::u64 virtual_address { 0 };
    Core::u64 memory_size { 0 };
    Core::u64 file_offset { 0 };
    Core::u64 file_size { 0 };
    // max(p_align, elf_page_size): a power of two.
    Core::u64 alignment { elf_page_size };
    SegmentPermissions permissions;

    // One past the last byte; parse() checked that this does not wrap.
    [[nodiscard]] Core::u64 end() const { return virtual_address + memory_size; }
};

// The PT_TLS template. Each thread's block is memory_size bytes aligned to `alignment`:
// the first file_size bytes copied from the file at file_offset (mapped at
// virtual_address), the rest zero.
struct TlsTemplate {
    Core::u64 virtual_address { 0 };
    Core::u64 file_offset { 0 };
    Core::u64 file_size { 0 };
    Core::u64 memory_size { 0 };
    // p_align, with 0 taken as 1: a power of two.
    Core::u64 alignment { 1 };
};

// An R_X86_64_RELATIVE relocation: the 8 bytes at base + offset become base + addend,
// little endian. The target need not be 8-byte aligned (a packed structure may hold a
// pointer), so the loader stores it byte by byte or with an unaligned store.
struct Relocation {
    Core::u64 offset { 0 };
    Core::i64 addend { 0 };

    // The value to store. The psABI defines the sum modulo 2^64, so it wraps on purpose.
    [[nodiscard]] Core::u64 value(Core::u64 base) const { return base + static_cast<Core::u64>(addend); }
};

class ElfImage {
public:
    using Segments = Core::StaticVector<LoadSegment, maximum_load_segments>;

    // Validates `file` as described at the top of this header. The image refers to `file`
    // (for segment contents and relocations), so the bytes must stay alive while it is used.
    [[nodiscard]] static Core::Result<ElfImage> parse(Core::ReadonlyBytes file);

    [[nodiscard]] ElfKind kind() const { return m_kind; }
    // Relative to the load base for a position-independent image.
    [[nodiscard]] Core::u64 entry_point() const { return m_entry_point; }
    // Sorted by virtual_address; never empty.
    [[nodiscard]] const Segments& segments() const { return m_segments; }
    // The bytes of `segment` that come from the file; exactly segment.file_size long.
    [[nodiscard]] Core::ReadonlyBytes file_contents(const LoadSegment& segment) const;

    // The lowest segment address rounded down to a page, and the end of the highest segment
    // rounded up to a page: the address space the image needs (relative to the base for a
    // position-independent image).
    [[nodiscard]] Core::u64 image_start() const { return m_image_start; }
    [[nodiscard]] Core::u64 image_end() const { return m_image_end; }
    [[nodiscard]] Core::u64 image_size() const { return m_image_end - m_image_start; }
    // A position-independent image must be loaded at a multiple of this (a power of two,
    // at least elf_page_size), so that every segment keeps its p_align.
    [[nodiscard]] Core::u64 base_alignment() const { return m_base_alignment; }

    [[nodiscard]] const Core::Optional<TlsTemplate>& tls() const { return m_tls; }
    // Where the program header table is mapped (for the AT_PHDR auxiliary vector entry),
    // when a segment's file contents include it; relative to the base for a
    // position-independent image.
    [[nodiscard]] Core::Optional<Core::u64> program_headers_address() const
    {
        return m_program_headers_address;
    }
    [[nodiscard]] Core::u16 program_header_count() const { return m_program_header_count; }

    [[nodiscard]] Core::usize relocation_count() const { return m_relocation_count; }
    // Calls `callback(const Relocation&)`, which returns Core::Result<void>, for every
    // relocation in file order, and stops at the first error. parse() already checked every
    // relocation; each is checked again as it is read, so even bytes changed since parse()
    // can never yield a target outside a writable segment.
    template<typename Callback> [[nodiscard]] Core::Result<void> for_each_relocation(Callback callback) const
    {
        for (Core::usize index = 0; index < m_relocation_count; ++index) {
            Relocation relocation = TRY(relocation_at(index));
            TRY(callback(relocation));
        }
        return {};
    }

private:
    ElfImage(Core::ReadonlyBytes file, ElfKind kind, Core::u64 entry_point, Core::u16 program_header_count)
        : m_file(file)
        , m_kind(kind)
        , m_entry_point(entry_point)
        , m_program_header_count(program_header_count)
    {
    }

    // Reads and checks relocation `index` (below m_relocation_count).
    [[nodiscard]] Core::Result<Relocation> relocation_at(Core::usize index) const;

    Core::ReadonlyBytes m_file;
    ElfKind m_kind;
    Core::u64 m_entry_point;
    Core::u16 m_program_header_count;
    Segments m_segments;
    Core::u64 m_image_start { 0 };
    Core::u64 m_image_end { 0 };
    Core::u64 m_base_alignment { elf_page_size };
    Core::Optional<TlsTemplate> m_tls;
    Core::Optional<Core::u64> m_program_headers_address;
    // The table of Elf64_Rela entries: its offset in the file and its length in entries.
    Core::u64 m_relocations_file_offset { 0 };
    Core::usize m_relocation_count { 0 };
};

} // namespace Kernel::Loader
