#pragma once

// The ext2 service's file system (docs/filesystems.md#ext2): the ext2 library's Volume
// (Userland/FileSystems/Ext2) behind the Backend interface, reading and writing through the
// page cache. Nodes are inode numbers. Pure, so that host tests run it on images made by
// mke2fs and check the result with e2fsck and debugfs.

#include <Userland/FileSystems/BlockCache.h>
#include <Userland/FileSystems/Ext2/Ext2Volume.h>
#include <Userland/Services/FileSystem/Backend.h>

namespace Ext2Service {

using FileSystem::Attributes;
using FileSystem::NodeType;
using FileSystem::Statistics;

class Ext2Backend final : public FileSystem::Backend {
public:
    // Opens the volume on `cache`. `read_only`: mounted so (it also is when the volume has
    // features the library does not keep right). `clock`: Unix seconds for timestamps.
    [[nodiscard]] static Core::Result<Ext2Backend*> create(
        FileSystems::BlockCache& cache, bool read_only, Core::i64 (*clock)());

    Core::u64 root() const override { return FileSystems::Ext2::root_inode; }
    bool read_only() const override { return m_read_only; }
    Core::Result<Attributes> attributes(Core::u64 node) override;
    Core::Result<Core::u64> lookup(Core::u64 directory, Core::StringView name) override;
    Core::Result<Core::u64> read_directory(
        Core::u64 directory, Core::u64 position, VisitEntry visit, void* context) override;
    Core::Result<Core::usize> read(Core::u64 file, Core::u64 offset, Core::Bytes destination) override;
    Core::Result<Core::usize> read_link(Core::u64 link, Core::Bytes destination) override;
    Core::Result<Statistics> statistics() override;
    Core::Result<Core::u64> create(Core::u64 directory, Core::StringView name, NodeType type, Core::u32 mode,
        Core::StringView link_target) override;
    Core::Result<void> write(Core::u64 file, Core::u64 offset, Core::ReadonlyBytes data) override;
    Core::Result<void> truncate(Core::u64 file, Core::u64 size) override;
    Core::Result<void> remove(Core::u64 directory, Core::StringView name, bool keep) override;
    Core::Result<void> release(Core::u64 node) override;
    Core::Result<void> rename(
        Core::u64 from, Core::StringView name, Core::u64 to, Core::StringView to_name) override;
    Core::Result<void> set_mode(Core::u64 node, Core::u32 mode) override;
    Core::Result<void> set_times(Core::u64 node, Core::i64 access_time, Core::i64 modification_time) override;
    Core::Result<void> sync(bool clean) override;
    bool has_unwritten_changes() const override { return m_cache.dirty_pages() != 0; }

private:
    Ext2Backend(FileSystems::BlockCache& cache, FileSystems::Ext2::Volume volume, bool read_only,
        Core::i64 (*clock)());
    [[nodiscard]] Core::Result<FileSystems::Ext2::Inode> inode(Core::u64 node);
    void stamp();

    FileSystems::BlockCache& m_cache;
    FileSystems::Ext2::Volume m_volume;
    bool m_read_only;
    Core::i64 (*m_clock)();
};

} // namespace Ext2Service
