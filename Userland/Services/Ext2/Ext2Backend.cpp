#include <Core/NoThrow.h>
#include <Userland/Services/Ext2/Ext2Backend.h>

namespace Ext2Service {

using Core::ErrorCode;
using FileSystems::Ext2::FileType;
using FileSystems::Ext2::Inode;

namespace {

NodeType node_type(FileType type)
{
    switch (type) {
    case FileType::Directory:
        return NodeType::Directory;
    case FileType::SymbolicLink:
        return NodeType::Symlink;
    default:
        // Devices, FIFOs and sockets have no meaning here yet: they read as empty files.
        return NodeType::Regular;
    }
}

Core::Result<Core::u32> inode_number(Core::u64 node)
{
    if (node == 0 || node > 0xFFFF'FFFFull)
        return ErrorCode::NotFound;
    return static_cast<Core::u32>(node);
}

} // namespace

Core::Result<Ext2Backend*> Ext2Backend::create(
    FileSystems::BlockCache& cache, bool read_only, Core::i64 (*clock)())
{
    auto volume = FileSystems::Ext2::Volume::open(cache);
    if (volume.is_error())
        return volume.error();
    bool writable = volume.value().superblock().writable && !read_only;
    auto* backend = new (Core::nothrow) Ext2Backend(cache, volume.release_value(), !writable, clock);
    if (!backend)
        return ErrorCode::OutOfMemory;
    return backend;
}

Ext2Backend::Ext2Backend(
    FileSystems::BlockCache& cache, FileSystems::Ext2::Volume volume, bool read_only, Core::i64 (*clock)())
    : m_cache(cache)
    , m_volume(Core::move(volume))
    , m_read_only(read_only)
    , m_clock(clock)
{
}

void Ext2Backend::stamp()
{
    Core::i64 now = m_clock();
    m_volume.set_current_time(now > 0 && now <= 0xFFFF'FFFFll ? static_cast<Core::u32>(now) : 0);
}

Core::Result<Inode> Ext2Backend::inode(Core::u64 node)
{
    Core::u32 number = TRY(inode_number(node));
    return m_volume.read_inode(number);
}

Core::Result<Attributes> Ext2Backend::attributes(Core::u64 node)
{
    Inode found = TRY(inode(node));
    Attributes attributes;
    attributes.node = node;
    attributes.type = static_cast<Core::u8>(node_type(found.type()));
    attributes.mode = found.permissions();
    attributes.links = found.link_count;
    attributes.user_id = found.user_id;
    attributes.group_id = found.group_id;
    attributes.size = found.size;
    attributes.blocks = found.sector_count;
    attributes.access_time = found.access_time;
    attributes.modification_time = found.modification_time;
    attributes.change_time = found.change_time;
    attributes.block_size = m_volume.superblock().block_size;
    return attributes;
}

Core::Result<Core::u64> Ext2Backend::lookup(Core::u64 directory, Core::StringView name)
{
    Inode parent = TRY(inode(directory));
    if (parent.type() != FileType::Directory)
        return ErrorCode::NotADirectory;
    // The root's ".." is the root itself, as its directory says.
    return TRY(m_volume.lookup(parent, name));
}

Core::Result<Core::u64> Ext2Backend::read_directory(
    Core::u64 directory, Core::u64 position, VisitEntry visit, void* context)
{
    Inode parent = TRY(inode(directory));
    if (parent.type() != FileType::Directory)
        return ErrorCode::NotADirectory;
    // Positions count the used entries in the directory's order; a listing resumes by
    // skipping the ones already given.
    Core::u64 index = 0;
    bool stopped = false;
    TRY(m_volume.for_each_entry(parent, [&](const FileSystems::Ext2::DirectoryEntry& entry) {
        if (index < position) {
            ++index;
            return true;
        }
        NodeType type = NodeType::Regular;
        if (entry.type != FileType::Unknown) {
            type = node_type(entry.type);
        } else {
            auto child = m_volume.read_inode(entry.inode);
            if (!child.is_error())
                type = node_type(child.value().type());
        }
        if (!visit(context, entry.inode, type, entry.name)) {
            stopped = true;
            return false;
        }
        ++index;
        return true;
    }));
    (void)stopped;
    return index;
}

Core::Result<Core::usize> Ext2Backend::read(Core::u64 file, Core::u64 offset, Core::Bytes destination)
{
    Inode found = TRY(inode(file));
    if (found.type() == FileType::Directory)
        return ErrorCode::IsADirectory;
    if (found.type() != FileType::Regular)
        return Core::usize { 0 };
    return m_volume.read(found, offset, destination);
}

Core::Result<Core::usize> Ext2Backend::read_link(Core::u64 link, Core::Bytes destination)
{
    Inode found = TRY(inode(link));
    if (found.type() != FileType::SymbolicLink)
        return ErrorCode::InvalidArgument;
    return m_volume.read_link(found, destination);
}

Core::Result<Statistics> Ext2Backend::statistics()
{
    const auto& superblock = m_volume.superblock();
    Statistics statistics;
    statistics.block_size = superblock.block_size;
    statistics.total_blocks = superblock.block_count;
    statistics.free_blocks = superblock.free_block_count;
    statistics.total_nodes = superblock.inode_count;
    statistics.free_nodes = superblock.free_inode_count;
    statistics.maximum_name = 255;
    return statistics;
}

Core::Result<Core::u64> Ext2Backend::create(
    Core::u64 directory, Core::StringView name, NodeType type, Core::u32 mode, Core::StringView link_target)
{
    Core::u32 parent = TRY(inode_number(directory));
    stamp();
    FileSystems::Ext2::Volume::NewInode attributes;
    attributes.permissions = static_cast<Core::u16>(mode & 07777);
    auto create_node = [&]() -> Core::Result<Core::u32> {
        switch (type) {
        case NodeType::Regular:
            return m_volume.create_file(parent, name, attributes);
        case NodeType::Directory:
            return m_volume.create_directory(parent, name, attributes);
        case NodeType::Symlink:
            attributes.permissions = 0777;
            return m_volume.create_symlink(parent, name, link_target, attributes);
        }
        return ErrorCode::InvalidArgument;
    };
    auto created = create_node();
    if (created.is_error())
        return FileSystem::translate_library_error(created.error());
    return Core::u64 { created.value() };
}

Core::Result<void> Ext2Backend::write(Core::u64 file, Core::u64 offset, Core::ReadonlyBytes data)
{
    Core::u32 number = TRY(inode_number(file));
    stamp();
    auto written = m_volume.write(number, offset, data);
    if (written.is_error())
        return FileSystem::translate_library_error(written.error());
    return {};
}

Core::Result<void> Ext2Backend::truncate(Core::u64 file, Core::u64 size)
{
    Core::u32 number = TRY(inode_number(file));
    stamp();
    auto done = m_volume.truncate(number, size);
    if (done.is_error())
        return FileSystem::translate_library_error(done.error());
    return {};
}

Core::Result<void> Ext2Backend::remove(Core::u64 directory, Core::StringView name, bool keep)
{
    Core::u32 parent = TRY(inode_number(directory));
    stamp();
    auto done = m_volume.remove(parent, name, keep);
    if (done.is_error())
        return FileSystem::translate_library_error(done.error());
    return {};
}

Core::Result<void> Ext2Backend::release(Core::u64 node)
{
    Core::u32 number = TRY(inode_number(node));
    stamp();
    return m_volume.release_orphan(number);
}

Core::Result<void> Ext2Backend::rename(
    Core::u64 from, Core::StringView name, Core::u64 to, Core::StringView to_name)
{
    Core::u32 source = TRY(inode_number(from));
    Core::u32 target = TRY(inode_number(to));
    stamp();
    auto done = m_volume.rename(source, name, target, to_name);
    if (done.is_error())
        return FileSystem::translate_library_error(done.error());
    return {};
}

Core::Result<void> Ext2Backend::set_mode(Core::u64 node, Core::u32 mode)
{
    Core::u32 number = TRY(inode_number(node));
    stamp();
    auto done = m_volume.set_permissions(number, static_cast<Core::u16>(mode & 07777));
    if (done.is_error())
        return FileSystem::translate_library_error(done.error());
    return {};
}

Core::Result<void> Ext2Backend::set_times(Core::u64 node, Core::i64 access_time, Core::i64 modification_time)
{
    Core::u32 number = TRY(inode_number(node));
    auto clamp = [](Core::i64 seconds) -> Core::u32 {
        return seconds < 0 ? 0 : seconds > 0xFFFF'FFFFll ? 0xFFFF'FFFFu : static_cast<Core::u32>(seconds);
    };
    stamp();
    auto done = m_volume.set_times(number, clamp(access_time), clamp(modification_time));
    if (done.is_error())
        return FileSystem::translate_library_error(done.error());
    return {};
}

Core::Result<void> Ext2Backend::sync(bool clean)
{
    // The page cache's dirty pages, then the device's own cache.
    TRY(m_cache.flush());
    if (clean && !m_read_only) {
        TRY(m_volume.mark_clean());
        TRY(m_cache.flush());
    }
    return {};
}

} // namespace Ext2Service
