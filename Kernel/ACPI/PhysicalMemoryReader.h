#pragma once

// How the ACPI parsers reach physical memory. The kernel implements it with its direct map;
// host tests and fuzzers implement it with buffers placed at chosen physical addresses. Going
// through this interface keeps every parser free of privileged code, so all of them run under
// ASan, UBSan and libFuzzer on the host.

#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace Kernel::ACPI {

class PhysicalMemoryReader {
public:
    // Returns a view of exactly `length` bytes starting at `physical_address`, or nothing when
    // any part of that range cannot be read (not RAM the kernel mapped, or a range that wraps
    // around the address space). The view stays valid for as long as the reader does. The
    // parsers still treat a view of the wrong size as unreadable, so a faulty reader cannot make
    // them read out of bounds.
    virtual Core::Optional<Core::ReadonlyBytes> map(Core::u64 physical_address, Core::u64 length) = 0;

protected:
    ~PhysicalMemoryReader() = default;
};

} // namespace Kernel::ACPI
