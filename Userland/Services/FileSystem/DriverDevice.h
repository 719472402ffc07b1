#pragma once

// A disk through its driver's channel (the block protocol), as the disk file system
// services (ext2, FAT) put their page cache on it. A transfer the device fails, and any
// request once the driver has ended (its channel closes with it), is IoError: to the file
// system and its callers that is EIO, never the PeerClosed that would say the file system
// service itself is gone.

#include <Userland/FileSystems/BlockCache.h>
#include <Userland/Services/Block/Client.h>

namespace FileSystem {

class DriverDevice final : public FileSystems::BlockDevice {
public:
    DriverDevice(Core::u32 channel, const Block::GeometryReply& geometry)
        : m_channel(channel)
        , m_block_size(geometry.block_size)
        , m_block_count(geometry.block_count)
    {
    }
    Core::u32 block_size() const override { return m_block_size; }
    Core::u64 block_count() const override { return m_block_count; }
    Core::u32 maximum_transfer() const override { return Block::maximum_transfer_bytes; }

    Core::Result<void> read_blocks(Core::u64 first, Core::Bytes destination) override
    {
        return in_requests(
            destination.size(), [&](Core::usize done, Core::usize step, Block::Status& status) {
                return Block::read(m_channel, first + done / m_block_size,
                    static_cast<Core::u32>(step / m_block_size), m_block_size, destination.data() + done,
                    status);
            });
    }

    Core::Result<void> write_blocks(Core::u64 first, Core::ReadonlyBytes source) override
    {
        return in_requests(source.size(), [&](Core::usize done, Core::usize step, Block::Status& status) {
            return Block::write(m_channel, first + done / m_block_size, source.data() + done, step, status);
        });
    }

    Core::Result<void> flush() override
    {
        Block::Status status;
        if (!Block::flush(m_channel, status))
            return Core::ErrorCode::IoError;
        return check(status);
    }

private:
    // Moves `length` bytes in requests of at most the protocol's largest transfer:
    // `request(done, step, status)` sends one (false when the driver's channel is gone).
    template<typename Request> Core::Result<void> in_requests(Core::usize length, Request request)
    {
        for (Core::usize done = 0; done < length;) {
            Core::usize step = length - done;
            if (step > Block::maximum_transfer_bytes)
                step = Block::maximum_transfer_bytes;
            Block::Status status;
            if (!request(done, step, status))
                return Core::ErrorCode::IoError;
            TRY(check(status));
            done += step;
        }
        return {};
    }

    static Core::Result<void> check(Block::Status status)
    {
        switch (status) {
        case Block::Status::Ok:
            return {};
        case Block::Status::OutOfRange:
            return Core::ErrorCode::OutOfRange;
        case Block::Status::ReadOnly:
            return Core::ErrorCode::ReadOnlyFileSystem;
        default:
            // The protocol's DeviceError.
            return Core::ErrorCode::IoError;
        }
    }

    Core::u32 m_channel;
    Core::u32 m_block_size;
    Core::u64 m_block_count;
};

} // namespace FileSystem
