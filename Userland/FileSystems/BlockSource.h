#pragma once

// The bytes of the device a file system is on, by byte offset: a disk image in host tests
// and fuzzing, a block device through the block protocol in the file system services.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace FileSystems {

class BlockSource {
public:
    virtual ~BlockSource() = default;
    // Fills `destination` from `offset`; OutOfRange past the device's end.
    [[nodiscard]] virtual Core::Result<void> read(Core::u64 offset, Core::Bytes destination) = 0;
    // Stores `source` at `offset`; NotSupported for a read-only source.
    [[nodiscard]] virtual Core::Result<void> write(Core::u64, Core::ReadonlyBytes)
    {
        return Core::ErrorCode::NotSupported;
    }
};

} // namespace FileSystems
