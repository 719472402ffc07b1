// The ext2 service (docs/filesystems.md#ext2): one ext2 volume on a block device, served to
// the VFS. The VFS starts one per mount, with the disk driver's channel.
//
// Arguments: [--read-only].
// Start-up roles: FileSystemServer, BlockDevice.
// Exit status: 0 unmounted, 1 the VFS went away, 2 not an ext2 volume this service reads,
// 3 no memory or no handles.

#include <Userland/FileSystems/BlockCache.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Block/Client.h>
#include <Userland/Services/Ext2/Ext2Backend.h>
#include <Userland/Services/FileSystem/Server.h>
#include <string.h>

namespace {

// The page cache's size: 8 MiB.
constexpr Core::u32 cache_pages = 2048;

// A disk through its driver's channel (the block protocol).
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
        Core::usize done = 0;
        while (done < destination.size()) {
            Core::usize step = destination.size() - done;
            if (step > Block::maximum_transfer_bytes)
                step = Block::maximum_transfer_bytes;
            Block::Status status;
            if (!Block::read(m_channel, first + done / m_block_size,
                    static_cast<Core::u32>(step / m_block_size), m_block_size, destination.data() + done,
                    status))
                return Core::ErrorCode::PeerClosed;
            TRY(check(status));
            done += step;
        }
        return {};
    }

    Core::Result<void> write_blocks(Core::u64 first, Core::ReadonlyBytes source) override
    {
        Core::usize done = 0;
        while (done < source.size()) {
            Core::usize step = source.size() - done;
            if (step > Block::maximum_transfer_bytes)
                step = Block::maximum_transfer_bytes;
            Block::Status status;
            if (!Block::write(m_channel, first + done / m_block_size, source.data() + done, step, status))
                return Core::ErrorCode::PeerClosed;
            TRY(check(status));
            done += step;
        }
        return {};
    }

    Core::Result<void> flush() override
    {
        Block::Status status;
        if (!Block::flush(m_channel, status))
            return Core::ErrorCode::PeerClosed;
        return check(status);
    }

private:
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
            // The protocol's DeviceError, as the POSIX calls will say it: EIO.
            return Core::ErrorCode::Malformed;
        }
    }

    Core::u32 m_channel;
    Core::u32 m_block_size;
    Core::u64 m_block_count;
};

} // namespace

int main(int argc, char** argv)
{
    const LibC::StartupHandle* server = LibC::startup_handle(LibC::HandleRole::FileSystemServer);
    const LibC::StartupHandle* disk = LibC::startup_handle(LibC::HandleRole::BlockDevice);
    if (!server || !disk) {
        System::debug_log("started without its channel or its disk");
        return 3;
    }
    bool read_only = false;
    for (int index = 1; index < argc; ++index) {
        if (argv[index] && strcmp(argv[index], "--read-only") == 0)
            read_only = true;
    }
    Block::GeometryReply geometry;
    if (!Block::geometry(disk->handle, geometry) || geometry.block_size == 0)
        return 2;
    static DriverDevice device(disk->handle, geometry);
    auto cache = FileSystems::BlockCache::create(device, cache_pages);
    if (cache.is_error())
        return 3;
    auto backend = Ext2Service::Ext2Backend::create(
        *cache.value(), read_only || geometry.read_only, FileSystem::current_time);
    if (backend.is_error())
        return backend.error().code() == Core::ErrorCode::OutOfMemory ? 3 : 2;
    return FileSystem::serve(*backend.value(), server->handle);
}
