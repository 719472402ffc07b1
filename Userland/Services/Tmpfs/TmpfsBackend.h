#pragma once

// tmpfs: a file system in the service's memory (docs/filesystems.md#tmpfs). Nodes are
// numbered from 1 (the root) and never renumbered; a number is not reused. Its size is
// bounded (the bytes of file data and link targets): past it, writes fail with NoSpace.
// Pure, so that host tests run it through the Backend interface.

#include <Core/Vector.h>
#include <Userland/Services/FileSystem/Backend.h>

namespace Tmpfs {

using FileSystem::Attributes;
using FileSystem::NodeType;
using FileSystem::Statistics;

class TmpfsBackend final : public FileSystem::Backend {
public:
    // `capacity`: the most bytes of data it holds. `clock`: Unix seconds for timestamps.
    static Core::Result<TmpfsBackend*> create(Core::u64 capacity, Core::i64 (*clock)());
    ~TmpfsBackend() override;

    Core::u64 root() const override { return 1; }
    bool read_only() const override { return m_read_only; }
    // From now on every change is refused (the initramfs, once it is filled).
    void seal() { m_read_only = true; }
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
    Core::Result<void> sync(bool) override { return {}; }

private:
    struct Entry {
        Core::u64 node { 0 };
        Core::u8 name_length { 0 };
        char name[FileSystem::maximum_name] {};
        [[nodiscard]] Core::StringView view() const { return Core::StringView(name, name_length); }
    };
    struct Node {
        NodeType type { NodeType::Regular };
        Core::u32 mode { 0 };
        Core::u32 links { 0 };
        Core::u64 parent { 0 }; // a directory's
        Core::i64 access_time { 0 };
        Core::i64 modification_time { 0 };
        Core::i64 change_time { 0 };
        Core::Vector<Core::u8> data; // a file's bytes, a link's target
        // A directory's, in creation order. A removed entry leaves a hole (node 0) that a
        // later name fills, so that positions (readdir's) stay where they are and a removal
        // moves nothing.
        Core::Vector<Entry> entries;
        Core::usize live_entries { 0 };
    };

    TmpfsBackend(Core::u64 capacity, Core::i64 (*clock)())
        : m_capacity(capacity)
        , m_clock(clock)
    {
    }
    Core::Result<Node*> node(Core::u64 number);
    Core::Result<Node*> directory(Core::u64 number);
    // The index of `name`'s entry in `directory`, or NotFound.
    Core::Result<Core::usize> find(Node& directory, Core::StringView name);
    Core::Result<Core::u64> add_node(NodeType type, Core::u32 mode);
    Core::Result<void> add_entry(Node& directory, Core::StringView name, Core::u64 node);
    void remove_entry(Node& directory, Core::usize index);
    void drop_link(Core::u64 number, bool keep);
    void free_node(Core::u64 number);
    // Whether `ancestor` is `node` or one of its ancestors.
    bool is_ancestor(Core::u64 ancestor, Core::u64 node);

    Core::Vector<Node*> m_nodes; // by number - 1; null once freed
    Core::u64 m_capacity;
    Core::u64 m_used { 0 };
    Core::u64 m_live_nodes { 0 };
    Core::i64 (*m_clock)();
    bool m_read_only { false };
};

} // namespace Tmpfs
