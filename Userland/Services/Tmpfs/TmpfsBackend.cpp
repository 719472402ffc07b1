#include <Core/NoThrow.h>
#include <Userland/Services/Tmpfs/TmpfsBackend.h>

namespace Tmpfs {

using Core::ErrorCode;

// A node's share of the capacity: what it holds, counted in whole pages as memory is.
static Core::u64 charge(Core::u64 bytes)
{
    return (bytes + 4095) & ~Core::u64 { 4095 };
}

Core::Result<TmpfsBackend*> TmpfsBackend::create(Core::u64 capacity, Core::i64 (*clock)())
{
    auto* backend = new (Core::nothrow) TmpfsBackend(capacity, clock);
    if (!backend)
        return ErrorCode::OutOfMemory;
    auto root = backend->add_node(NodeType::Directory, 01777);
    if (root.is_error()) {
        delete backend;
        return root.error();
    }
    backend->m_nodes[0]->parent = 1;
    backend->m_nodes[0]->links = 2;
    return backend;
}

TmpfsBackend::~TmpfsBackend()
{
    for (Core::usize index = 0; index < m_nodes.size(); ++index)
        delete m_nodes[index];
}

Core::Result<TmpfsBackend::Node*> TmpfsBackend::node(Core::u64 number)
{
    if (number == 0 || number > m_nodes.size() || !m_nodes[number - 1])
        return ErrorCode::NotFound;
    return m_nodes[number - 1];
}

Core::Result<TmpfsBackend::Node*> TmpfsBackend::directory(Core::u64 number)
{
    Node* found = TRY(node(number));
    if (found->type != NodeType::Directory)
        return ErrorCode::NotADirectory;
    return found;
}

Core::Result<Core::usize> TmpfsBackend::find(Node& directory, Core::StringView name)
{
    for (Core::usize index = 0; index < directory.entries.size(); ++index) {
        if (directory.entries[index].node != 0 && directory.entries[index].view() == name)
            return index;
    }
    return ErrorCode::NotFound;
}

Core::Result<Core::u64> TmpfsBackend::add_node(NodeType type, Core::u32 mode)
{
    auto* created = new (Core::nothrow) Node;
    if (!created)
        return ErrorCode::OutOfMemory;
    if (m_nodes.try_append(created).is_error()) {
        delete created;
        return ErrorCode::OutOfMemory;
    }
    created->type = type;
    created->mode = mode & 07777;
    Core::i64 now = m_clock();
    created->access_time = now;
    created->modification_time = now;
    created->change_time = now;
    ++m_live_nodes;
    return m_nodes.size();
}

Core::Result<void> TmpfsBackend::add_entry(Node& directory, Core::StringView name, Core::u64 number)
{
    if (name.length() == 0 || name.length() > FileSystem::maximum_name)
        return ErrorCode::InvalidArgument;
    Entry entry;
    entry.node = number;
    entry.name_length = static_cast<Core::u8>(name.length());
    for (Core::usize index = 0; index < name.length(); ++index)
        entry.name[index] = name[index];
    Core::usize hole = 0;
    while (hole < directory.entries.size() && directory.entries[hole].node != 0)
        ++hole;
    if (hole < directory.entries.size())
        directory.entries[hole] = entry;
    else
        TRY(directory.entries.try_append(entry));
    ++directory.live_entries;
    directory.modification_time = directory.change_time = m_clock();
    return {};
}

void TmpfsBackend::remove_entry(Node& directory, Core::usize index)
{
    directory.entries[index].node = 0;
    directory.entries[index].name_length = 0;
    if (--directory.live_entries == 0)
        directory.entries.clear();
    directory.modification_time = directory.change_time = m_clock();
}

void TmpfsBackend::free_node(Core::u64 number)
{
    Node* freed = m_nodes[number - 1];
    m_used -= charge(freed->data.size());
    delete freed;
    m_nodes[number - 1] = nullptr;
    --m_live_nodes;
}

void TmpfsBackend::drop_link(Core::u64 number, bool keep)
{
    Node* dropped = m_nodes[number - 1];
    dropped->change_time = m_clock();
    if (dropped->type == NodeType::Directory)
        dropped->links = 0;
    else if (dropped->links > 0)
        --dropped->links;
    if (dropped->links == 0 && !keep)
        free_node(number);
}

bool TmpfsBackend::is_ancestor(Core::u64 ancestor, Core::u64 number)
{
    // Every directory's chain of parents ends at the root, which is its own parent; the
    // walk is bounded by the node count anyway.
    for (Core::usize steps = 0; steps <= m_nodes.size(); ++steps) {
        if (number == ancestor)
            return true;
        if (number == root())
            return false;
        auto current = node(number);
        if (current.is_error())
            return false;
        number = current.value()->parent;
    }
    return false;
}

Core::Result<Attributes> TmpfsBackend::attributes(Core::u64 number)
{
    Node* found = TRY(node(number));
    Attributes attributes;
    attributes.node = number;
    attributes.type = static_cast<Core::u8>(found->type);
    attributes.mode = found->mode;
    attributes.links = found->type == NodeType::Directory ? found->links : found->links;
    attributes.size
        = found->type == NodeType::Directory ? found->live_entries * sizeof(Entry) : found->data.size();
    attributes.blocks = charge(found->data.size()) / 512;
    attributes.access_time = found->access_time;
    attributes.modification_time = found->modification_time;
    attributes.change_time = found->change_time;
    attributes.block_size = 4096;
    return attributes;
}

Core::Result<Core::u64> TmpfsBackend::lookup(Core::u64 number, Core::StringView name)
{
    Node* found = TRY(directory(number));
    if (name == "."_sv)
        return number;
    if (name == ".."_sv)
        return found->parent;
    Core::usize index = TRY(find(*found, name));
    return found->entries[index].node;
}

Core::Result<Core::u64> TmpfsBackend::read_directory(
    Core::u64 number, Core::u64 position, VisitEntry visit, void* context)
{
    Node* found = TRY(directory(number));
    // Positions 0 and 1 are "." and "..", then the entries in order.
    for (; position < found->entries.size() + 2; ++position) {
        bool more = true;
        if (position == 0)
            more = visit(context, number, NodeType::Directory, "."_sv);
        else if (position == 1)
            more = visit(context, found->parent, NodeType::Directory, ".."_sv);
        else {
            const Entry& entry = found->entries[position - 2];
            if (entry.node == 0)
                continue;
            more = visit(context, entry.node, m_nodes[entry.node - 1]->type, entry.view());
        }
        if (!more)
            break;
    }
    return position;
}

Core::Result<Core::usize> TmpfsBackend::read(Core::u64 number, Core::u64 offset, Core::Bytes destination)
{
    Node* found = TRY(node(number));
    if (found->type == NodeType::Directory)
        return ErrorCode::IsADirectory;
    if (offset >= found->data.size())
        return Core::usize { 0 };
    Core::u64 available = found->data.size() - offset;
    Core::usize count
        = available < destination.size() ? static_cast<Core::usize>(available) : destination.size();
    for (Core::usize index = 0; index < count; ++index)
        destination[index] = found->data[static_cast<Core::usize>(offset) + index];
    return count;
}

Core::Result<Core::usize> TmpfsBackend::read_link(Core::u64 number, Core::Bytes destination)
{
    Node* found = TRY(node(number));
    if (found->type != NodeType::Symlink)
        return ErrorCode::InvalidArgument;
    if (found->data.size() > destination.size())
        return ErrorCode::BufferTooSmall;
    for (Core::usize index = 0; index < found->data.size(); ++index)
        destination[index] = found->data[index];
    return found->data.size();
}

Core::Result<Statistics> TmpfsBackend::statistics()
{
    Statistics statistics;
    statistics.block_size = 4096;
    statistics.total_blocks = m_read_only ? m_used / 4096 : m_capacity / 4096;
    // A sealed tree has no room for anything.
    statistics.free_blocks = m_read_only ? 0 : (m_capacity - m_used) / 4096;
    statistics.total_nodes = m_live_nodes + statistics.free_blocks;
    statistics.free_nodes = statistics.free_blocks;
    statistics.maximum_name = FileSystem::maximum_name;
    return statistics;
}

Core::Result<Core::u64> TmpfsBackend::create(
    Core::u64 number, Core::StringView name, NodeType type, Core::u32 mode, Core::StringView link_target)
{
    Node* parent = TRY(directory(number));
    if (!find(*parent, name).is_error())
        return ErrorCode::AlreadyExists;
    if (type == NodeType::Symlink && m_used + charge(link_target.length()) > m_capacity)
        return ErrorCode::NoSpace;
    Core::u64 created = TRY(add_node(type, mode));
    Node* fresh = m_nodes[created - 1];
    auto undo = [&](Core::Error error) -> Core::Error {
        free_node(created);
        return error;
    };
    if (type == NodeType::Symlink) {
        if (fresh->data.try_resize(link_target.length()).is_error())
            return undo(ErrorCode::OutOfMemory);
        for (Core::usize index = 0; index < link_target.length(); ++index)
            fresh->data[index] = static_cast<Core::u8>(link_target[index]);
        m_used += charge(link_target.length());
    }
    fresh->links = type == NodeType::Directory ? 2 : 1;
    fresh->parent = number;
    auto added = add_entry(*parent, name, created);
    if (added.is_error())
        return undo(added.error());
    if (type == NodeType::Directory)
        ++parent->links;
    return created;
}

Core::Result<void> TmpfsBackend::write(Core::u64 number, Core::u64 offset, Core::ReadonlyBytes data)
{
    Node* found = TRY(node(number));
    if (found->type != NodeType::Regular)
        return ErrorCode::IsADirectory;
    if (data.size() == 0)
        return {};
    Core::u64 end = offset + data.size();
    if (end < offset || end > m_capacity)
        return ErrorCode::NoSpace;
    if (end > found->data.size()) {
        Core::u64 growth = charge(end) - charge(found->data.size());
        if (m_used + growth > m_capacity)
            return ErrorCode::NoSpace;
        // Room grows by half again at least, so that a file written in pieces is not copied
        // over and over.
        if (end > found->data.capacity()) {
            Core::usize room = found->data.capacity() + found->data.capacity() / 2;
            TRY(found->data.try_ensure_capacity(room > end ? room : static_cast<Core::usize>(end)));
        }
        TRY(found->data.try_resize(static_cast<Core::usize>(end)));
        m_used += growth;
    }
    __builtin_memcpy(found->data.data() + offset, data.data(), data.size());
    found->modification_time = found->change_time = m_clock();
    return {};
}

Core::Result<void> TmpfsBackend::truncate(Core::u64 number, Core::u64 size)
{
    Node* found = TRY(node(number));
    if (found->type != NodeType::Regular)
        return ErrorCode::IsADirectory;
    Core::u64 old_charge = charge(found->data.size());
    Core::u64 new_charge = charge(size);
    if (new_charge > old_charge && m_used + (new_charge - old_charge) > m_capacity)
        return ErrorCode::NoSpace;
    TRY(found->data.try_resize(static_cast<Core::usize>(size)));
    m_used = m_used - old_charge + new_charge;
    found->modification_time = found->change_time = m_clock();
    return {};
}

Core::Result<void> TmpfsBackend::remove(Core::u64 number, Core::StringView name, bool keep)
{
    Node* parent = TRY(directory(number));
    Core::usize index = TRY(find(*parent, name));
    Core::u64 removed = parent->entries[index].node;
    Node* target = m_nodes[removed - 1];
    if (target->type == NodeType::Directory) {
        if (target->live_entries != 0)
            return ErrorCode::NotEmpty;
        --parent->links;
    }
    remove_entry(*parent, index);
    drop_link(removed, keep);
    return {};
}

Core::Result<void> TmpfsBackend::release(Core::u64 number)
{
    Node* found = TRY(node(number));
    if (found->links == 0)
        free_node(number);
    return {};
}

Core::Result<void> TmpfsBackend::rename(
    Core::u64 from, Core::StringView name, Core::u64 to, Core::StringView to_name)
{
    Node* source = TRY(directory(from));
    Node* target = TRY(directory(to));
    Core::usize index = TRY(find(*source, name));
    Core::u64 moving = source->entries[index].node;
    Node* moved = m_nodes[moving - 1];
    bool is_directory = moved->type == NodeType::Directory;
    if (is_directory && is_ancestor(moving, to))
        return ErrorCode::InvalidArgument;
    auto existing = find(*target, to_name);
    if (!existing.is_error()) {
        Core::u64 replaced = target->entries[existing.value()].node;
        if (replaced == moving)
            return {};
        Node* old = m_nodes[replaced - 1];
        if (is_directory && old->type != NodeType::Directory)
            return ErrorCode::NotADirectory;
        if (!is_directory && old->type == NodeType::Directory)
            return ErrorCode::IsADirectory;
        if (old->type == NodeType::Directory && old->live_entries != 0)
            return ErrorCode::NotEmpty;
        // Replaced in place: the name never stops existing (rename is atomic).
        target->entries[existing.value()].node = moving;
        if (old->type == NodeType::Directory)
            --target->links;
        drop_link(replaced, false);
        // The source's index is unchanged unless both names are in one directory and the
        // replaced entry came first; find it again.
        index = TRY(find(*source, name));
        remove_entry(*source, index);
    } else {
        TRY(add_entry(*target, to_name, moving));
        index = TRY(find(*source, name));
        remove_entry(*source, index);
    }
    if (is_directory && from != to) {
        --source->links;
        ++target->links;
        moved->parent = to;
    }
    moved->change_time = m_clock();
    target->modification_time = target->change_time = moved->change_time;
    return {};
}

Core::Result<void> TmpfsBackend::set_mode(Core::u64 number, Core::u32 mode)
{
    Node* found = TRY(node(number));
    found->mode = mode & 07777;
    found->change_time = m_clock();
    return {};
}

Core::Result<void> TmpfsBackend::set_times(
    Core::u64 number, Core::i64 access_time, Core::i64 modification_time)
{
    Node* found = TRY(node(number));
    found->access_time = access_time;
    found->modification_time = modification_time;
    found->change_time = m_clock();
    return {};
}

} // namespace Tmpfs
