#include <Core/CalendarTime.h>
#include <Core/NoThrow.h>
#include <Userland/Services/Fat/FatBackend.h>

namespace FatService {

using Core::ErrorCode;
using FileSystems::Fat::Entry;
namespace Attribute = FileSystems::Fat::Attribute;

namespace {

// 1980-01-01 00:00:00 UTC, the earliest time FAT holds.
constexpr Core::i64 fat_epoch = 315'532'800;
// A node number has at most 20 decimal digits.
constexpr Core::usize maximum_number_digits = 20;
constexpr Core::usize orphan_name_capacity = FatBackend::orphan_prefix.length() + maximum_number_digits;
constexpr Core::usize minimum_buckets = 64;

char lowercase(char character)
{
    return character >= 'A' && character <= 'Z' ? static_cast<char>(character - 'A' + 'a') : character;
}

// The name a file removed while open waits under: FatBackend::orphan_prefix and its number.
struct OrphanName {
    char text[orphan_name_capacity] {};
    Core::usize length { 0 };

    [[nodiscard]] static OrphanName of(Core::u64 number)
    {
        OrphanName name;
        for (char character : FatBackend::orphan_prefix)
            name.text[name.length++] = character;
        char digits[maximum_number_digits];
        Core::usize count = 0;
        do {
            digits[count++] = static_cast<char>('0' + number % 10);
            number /= 10;
        } while (number != 0);
        while (count > 0)
            name.text[name.length++] = digits[--count];
        return name;
    }
    [[nodiscard]] Core::StringView view() const { return Core::StringView(text, length); }
};

// The library's calls take directories as entries; only the first cluster and the directory
// attribute of one are read.
Entry directory_at_cluster(Core::u32 cluster)
{
    Entry listing;
    listing.attributes = Attribute::directory;
    listing.first_cluster = cluster;
    return listing;
}

bool is_dot_or_dot_dot(Core::StringView name)
{
    return name == "."_sv || name == ".."_sv;
}

} // namespace

// ---- NodeNumbers ------------------------------------------------------------------------------

Core::u32 NodeNumbers::bucket_of(Location location) const
{
    Core::u64 key = (Core::u64 { location.directory } << 32) | location.index;
    Core::u64 mixed = key * 0x9E37'79B9'7F4A'7C15ull;
    return static_cast<Core::u32>(mixed >> 32) & static_cast<Core::u32>(m_buckets.size() - 1);
}

Core::u32 NodeNumbers::find_record(Location location) const
{
    if (m_buckets.is_empty())
        return none;
    for (Core::u32 record = m_buckets[bucket_of(location)]; record != none; record = m_records[record].next) {
        if (m_records[record].location == location)
            return record;
    }
    return none;
}

Core::u64 NodeNumbers::number_of(Core::u32 record) const
{
    return Core::u64 { record } + 2 + (Core::u64 { m_records[record].generation } << 32);
}

Core::u32 NodeNumbers::record_of(Core::u64 number) const
{
    Core::u64 low = number & 0xFFFF'FFFFull;
    if (low < 2 || low - 2 >= m_records.size())
        return none;
    auto record = static_cast<Core::u32>(low - 2);
    if (!m_records[record].used || m_records[record].generation != number >> 32)
        return none;
    return record;
}

void NodeNumbers::link(Core::u32 record)
{
    Core::u32 bucket = bucket_of(m_records[record].location);
    m_records[record].next = m_buckets[bucket];
    m_buckets[bucket] = record;
}

void NodeNumbers::unlink(Core::u32 record)
{
    Core::u32* link = &m_buckets[bucket_of(m_records[record].location)];
    while (*link != none && *link != record)
        link = &m_records[*link].next;
    if (*link == record)
        *link = m_records[record].next;
    m_records[record].next = none;
}

void NodeNumbers::grow_buckets()
{
    Core::usize size = m_buckets.is_empty() ? minimum_buckets : m_buckets.size() * 2;
    Core::Vector<Core::u32> buckets;
    if (buckets.try_resize(size, none).is_error())
        return;
    m_buckets = Core::move(buckets);
    for (Core::u32 record = 0; record < m_records.size(); ++record) {
        if (m_records[record].used)
            link(record);
    }
}

Core::Result<Core::u64> NodeNumbers::number_at(Location location)
{
    if (location.is_root())
        return root;
    Core::u32 found = find_record(location);
    if (found != none)
        return number_of(found);
    if (m_live + 1 > m_buckets.size())
        grow_buckets();
    if (m_buckets.is_empty())
        return ErrorCode::OutOfMemory;
    Core::u32 record = m_free;
    if (record != none) {
        m_free = m_records[record].next;
    } else {
        // Numbers keep their index in the low 32 bits, 0 and 1 not among them.
        if (m_records.size() >= 0xFFFF'FFFDull)
            return ErrorCode::OutOfMemory;
        TRY(m_records.try_append(Record {}));
        record = static_cast<Core::u32>(m_records.size() - 1);
    }
    m_records[record].location = location;
    m_records[record].used = true;
    link(record);
    ++m_live;
    return number_of(record);
}

Core::Optional<Core::u64> NodeNumbers::find(Location location) const
{
    if (location.is_root())
        return root;
    Core::u32 record = find_record(location);
    if (record == none)
        return {};
    return number_of(record);
}

Core::Result<Location> NodeNumbers::location_of(Core::u64 number) const
{
    if (number == root)
        return Location {};
    Core::u32 record = record_of(number);
    if (record == none)
        return ErrorCode::NotFound;
    return m_records[record].location;
}

void NodeNumbers::move(Core::u64 number, Location location)
{
    Core::u32 record = record_of(number);
    if (record == none || m_records[record].location == location)
        return;
    // Whatever was numbered at the new place is gone: the moved entry took it.
    forget(location);
    unlink(record);
    m_records[record].location = location;
    link(record);
}

void NodeNumbers::forget(Location location)
{
    Core::u32 record = find_record(location);
    if (record == none)
        return;
    unlink(record);
    m_records[record].used = false;
    // The next use of this record gives a number no program can still hold (until a single
    // record has been used 2^32 times).
    ++m_records[record].generation;
    m_records[record].next = m_free;
    m_free = record;
    --m_live;
}

// ---- FatBackend -------------------------------------------------------------------------------

Core::Result<FatBackend*> FatBackend::create(
    FileSystems::BlockCache& cache, bool read_only, Core::i64 (*clock)())
{
    auto volume = FileSystems::Fat::Volume::open(cache);
    if (volume.is_error())
        return volume.error();
    bool writable = volume.value().boot_sector().writable && !read_only;
    auto* backend = new (Core::nothrow) FatBackend(cache, volume.release_value(), !writable, clock);
    if (!backend)
        return ErrorCode::OutOfMemory;
    // A volume whose orphans cannot all be removed (a damaged one) is served all the same:
    // those left stay out of sight, and the next mount tries again.
    if (writable)
        (void)backend->remove_orphans();
    return backend;
}

FatBackend::FatBackend(
    FileSystems::BlockCache& cache, FileSystems::Fat::Volume volume, bool read_only, Core::i64 (*clock)())
    : m_cache(cache)
    , m_volume(Core::move(volume))
    , m_read_only(read_only)
    , m_clock(clock)
{
}

void FatBackend::changing()
{
    m_last_found.valid = false;
}

void FatBackend::stamp()
{
    Core::i64 now = m_clock();
    m_volume.set_current_time(now > 0 && now <= 0xFFFF'FFFFll ? static_cast<Core::u32>(now) : 0);
}

Core::u32 FatBackend::mode_of(const Entry& entry)
{
    if (entry.is_directory())
        return 0755;
    return (entry.attributes & Attribute::read_only) != 0 ? 0444 : 0644;
}

Core::i64 FatBackend::unix_time(Core::u16 date, Core::u16 time)
{
    Core::CalendarTime calendar {
        static_cast<Core::u16>(1980 + (date >> 9)),
        static_cast<Core::u8>((date >> 5) & 0x0F),
        static_cast<Core::u8>(date & 0x1F),
        static_cast<Core::u8>(time >> 11),
        static_cast<Core::u8>((time >> 5) & 0x3F),
        static_cast<Core::u8>((time & 0x1F) * 2),
    };
    if (!Core::is_valid_calendar_time(calendar))
        return fat_epoch;
    return static_cast<Core::i64>(Core::seconds_since_unix_epoch(calendar));
}

bool FatBackend::is_orphan_name(Core::StringView name)
{
    // Without regard to case, as FAT compares names: no other spelling may be created either.
    Core::usize prefix = orphan_prefix.length();
    if (name.length() <= prefix || name.length() > prefix + maximum_number_digits)
        return false;
    for (Core::usize index = 0; index < prefix; ++index) {
        if (lowercase(name[index]) != orphan_prefix[index])
            return false;
    }
    for (Core::usize index = prefix; index < name.length(); ++index) {
        if (name[index] < '0' || name[index] > '9')
            return false;
    }
    return true;
}

Core::Result<FatBackend::Found> FatBackend::find(
    Core::u64 directory_node, const Entry& listing, Core::StringView name)
{
    if (m_last_found.valid && m_last_found.directory == directory_node
        && Core::StringView(m_last_found.name, m_last_found.name_length) == name)
        return m_last_found.found;
    Entry entry = TRY(m_volume.lookup(listing, name));
    Found found { entry.location, entry.is_directory() };
    if (name.length() <= sizeof(m_last_found.name)) {
        m_last_found.valid = true;
        m_last_found.directory = directory_node;
        for (Core::usize index = 0; index < name.length(); ++index)
            m_last_found.name[index] = name[index];
        m_last_found.name_length = name.length();
        m_last_found.found = found;
    }
    return found;
}

Core::Result<Entry> FatBackend::entry(Core::u64 node)
{
    if (node == NodeNumbers::root)
        return m_volume.root();
    Location location = TRY(m_numbers.location_of(node));
    return m_volume.entry_at(location);
}

Core::Result<Entry> FatBackend::directory(Core::u64 node)
{
    Entry found = TRY(entry(node));
    if (!found.is_directory())
        return ErrorCode::NotADirectory;
    return found;
}

Core::Result<Core::u64> FatBackend::parent_of(const Entry& directory)
{
    if (directory.location.is_root())
        return NodeNumbers::root;
    Core::u32 root_cluster = m_volume.boot_sector().root_cluster;
    // ".." gives the parent's cluster; the parent's number goes with its entry, which is in
    // the grandparent (its own ".." says which), found there by that cluster.
    Core::u32 parent = TRY(m_volume.lookup(directory, ".."_sv)).first_cluster;
    if (parent == root_cluster)
        return NodeNumbers::root;
    Core::u32 grandparent = TRY(m_volume.lookup(directory_at_cluster(parent), ".."_sv)).first_cluster;
    Core::Optional<Location> found;
    TRY(m_volume.for_each_entry(directory_at_cluster(grandparent), [&](const Entry& listed) {
        if (!listed.is_directory() || listed.first_cluster != parent || is_dot_or_dot_dot(listed.name_view()))
            return true;
        found = listed.location;
        return false;
    }));
    if (!found.has_value())
        return ErrorCode::Malformed;
    return m_numbers.number_at(found.value());
}

Core::Result<Core::u32> FatBackend::cluster_count(Core::u32 first_cluster)
{
    Core::u32 count = 1;
    FileSystems::Fat::LoopGuard guard(first_cluster);
    for (Core::u32 cluster = TRY(m_volume.next_cluster(first_cluster)); cluster != 0;
         cluster = TRY(m_volume.next_cluster(cluster))) {
        if (!guard.advance(cluster))
            return ErrorCode::Malformed;
        ++count;
    }
    return count;
}

Core::Result<Attributes> FatBackend::attributes(Core::u64 node)
{
    Entry found = TRY(entry(node));
    Core::u32 cluster_size = m_volume.boot_sector().cluster_size;
    Attributes attributes;
    attributes.node = node;
    attributes.mode = mode_of(found);
    // FAT counts no links. 1 for directories too is how file systems that do not count them
    // say so (as btrfs): tools then do not take it for "no subdirectories".
    attributes.links = 1;
    Core::u64 clusters = 0;
    if (found.is_directory()) {
        attributes.type = static_cast<Core::u8>(NodeType::Directory);
        // A directory's size is what its clusters hold, as Linux's vfat says it.
        clusters = TRY(cluster_count(found.first_cluster));
        attributes.size = clusters * cluster_size;
    } else {
        attributes.type = static_cast<Core::u8>(NodeType::Regular);
        attributes.size = found.size;
        clusters = (Core::u64 { found.size } + cluster_size - 1) / cluster_size;
    }
    attributes.blocks = clusters * (cluster_size / 512);
    // One time is all the service reads of an entry: the last write. The root has no entry,
    // and no time (0, as Linux's vfat shows it).
    if (!found.location.is_root()) {
        Core::i64 written = unix_time(found.write_date, found.write_time);
        attributes.access_time = written;
        attributes.modification_time = written;
        attributes.change_time = written;
    }
    attributes.block_size = cluster_size;
    return attributes;
}

Core::Result<Core::u64> FatBackend::lookup(Core::u64 directory_node, Core::StringView name)
{
    Entry listing = TRY(directory(directory_node));
    if (name == "."_sv)
        return directory_node;
    if (name == ".."_sv)
        return parent_of(listing);
    if (is_orphan(listing, name))
        return ErrorCode::NotFound;
    Found found = TRY(find(directory_node, listing, name));
    return m_numbers.number_at(found.location);
}

Core::Result<Core::u64> FatBackend::read_directory(
    Core::u64 directory_node, Core::u64 position, VisitEntry visit, void* context)
{
    Entry listing = TRY(directory(directory_node));
    // Positions count entries in the directory's order, orphans too (they are skipped, not
    // left out of the count), so that a position means the same whatever is hidden.
    Core::u64 index = 0;
    if (listing.location.is_root()) {
        // The root has no "." or ".." of its own: they come first.
        constexpr Core::StringView dots[] = { "."_sv, ".."_sv };
        for (Core::StringView name : dots) {
            if (index >= position && !visit(context, NodeNumbers::root, NodeType::Directory, name))
                return index;
            ++index;
        }
    }
    Core::Optional<Core::Error> failure;
    TRY(m_volume.for_each_entry(listing, [&](const Entry& listed) {
        if (index < position || is_orphan(listing, listed.name_view())) {
            ++index;
            return true;
        }
        auto number = [&]() -> Core::Result<Core::u64> {
            if (listed.name_view() == "."_sv)
                return directory_node;
            if (listed.name_view() == ".."_sv)
                return parent_of(listing);
            return m_numbers.number_at(listed.location);
        }();
        if (number.is_error()) {
            failure = number.error();
            return false;
        }
        NodeType type = listed.is_directory() ? NodeType::Directory : NodeType::Regular;
        if (!visit(context, number.value(), type, listed.name_view()))
            return false;
        ++index;
        return true;
    }));
    if (failure.has_value())
        return failure.value();
    return index;
}

Core::Result<Core::usize> FatBackend::read(Core::u64 file, Core::u64 offset, Core::Bytes destination)
{
    Entry found = TRY(entry(file));
    if (found.is_directory())
        return ErrorCode::IsADirectory;
    return m_volume.read(found, offset, destination);
}

Core::Result<Core::usize> FatBackend::read_link(Core::u64, Core::Bytes)
{
    // FAT holds no symbolic links, and the server asks only for nodes that are links.
    return ErrorCode::InvalidArgument;
}

Core::Result<Statistics> FatBackend::statistics()
{
    FileSystems::Fat::FreeSpace space = TRY(m_volume.free_space());
    Statistics statistics;
    statistics.block_size = space.cluster_size;
    statistics.total_blocks = space.cluster_count;
    statistics.free_blocks = space.free_clusters;
    // Files take no node of a fixed table: there is no count to give (0, as Linux's vfat).
    statistics.total_nodes = 0;
    statistics.free_nodes = 0;
    statistics.maximum_name = FileSystem::maximum_name;
    return statistics;
}

Core::Result<Core::u64> FatBackend::create(
    Core::u64 directory_node, Core::StringView name, NodeType type, Core::u32, Core::StringView)
{
    // The mode is not kept: FAT has no permissions, and a new file is writable (the
    // read-only attribute is not one the library sets).
    if (type == NodeType::Symlink)
        return ErrorCode::NotSupported;
    Entry listing = TRY(directory(directory_node));
    if (is_orphan(listing, name))
        return ErrorCode::InvalidArgument;
    changing();
    stamp();
    auto created = type == NodeType::Directory ? m_volume.create_directory(listing, name)
                                               : m_volume.create_file(listing, name);
    if (created.is_error())
        return FileSystem::translate_library_error(created.error());
    return m_numbers.number_at(created.value().location);
}

Core::Result<void> FatBackend::write(Core::u64 file, Core::u64 offset, Core::ReadonlyBytes data)
{
    if (file == NodeNumbers::root)
        return ErrorCode::IsADirectory;
    Location location = TRY(m_numbers.location_of(file));
    stamp();
    auto written = m_volume.write(location, offset, data);
    if (written.is_error())
        return FileSystem::translate_library_error(written.error());
    return {};
}

Core::Result<void> FatBackend::truncate(Core::u64 file, Core::u64 size)
{
    if (file == NodeNumbers::root)
        return ErrorCode::IsADirectory;
    Location location = TRY(m_numbers.location_of(file));
    stamp();
    auto truncated = m_volume.truncate(location, size);
    if (truncated.is_error())
        return FileSystem::translate_library_error(truncated.error());
    return {};
}

Core::Result<void> FatBackend::remove(Core::u64 directory_node, Core::StringView name, bool keep)
{
    Entry listing = TRY(directory(directory_node));
    if (is_orphan(listing, name))
        return ErrorCode::NotFound;
    Found found = TRY(find(directory_node, listing, name));
    changing();
    stamp();
    if (!keep || found.is_directory) {
        auto removed = m_volume.remove(listing, name);
        if (removed.is_error())
            return FileSystem::translate_library_error(removed.error());
        m_numbers.forget(found.location);
        return {};
    }
    // Still open: the file keeps its clusters under a name in the root that nobody sees, and
    // its own name is free at once. release() removes it; a crash leaves it for the next
    // mount to remove.
    Core::u64 number = TRY(m_numbers.number_at(found.location));
    OrphanName orphan = OrphanName::of(number);
    auto moved = m_volume.rename(listing, name, m_volume.root(), orphan.view());
    if (moved.is_error())
        return FileSystem::translate_library_error(moved.error());
    m_numbers.move(number, moved.value().location);
    return {};
}

Core::Result<void> FatBackend::release(Core::u64 node)
{
    if (node == NodeNumbers::root)
        return ErrorCode::InvalidArgument;
    Location location = TRY(m_numbers.location_of(node));
    OrphanName orphan = OrphanName::of(node);
    changing();
    stamp();
    auto removed = m_volume.remove(m_volume.root(), orphan.view());
    if (removed.is_error())
        return FileSystem::translate_library_error(removed.error());
    m_numbers.forget(location);
    return {};
}

Core::Result<void> FatBackend::rename(
    Core::u64 from, Core::StringView name, Core::u64 to, Core::StringView to_name)
{
    Entry source_directory = TRY(directory(from));
    Entry target_directory = TRY(directory(to));
    if (is_orphan(source_directory, name))
        return ErrorCode::NotFound;
    if (is_orphan(target_directory, to_name))
        return ErrorCode::InvalidArgument;
    Location source = TRY(find(from, source_directory, name)).location;
    auto replaced = find(to, target_directory, to_name);
    if (replaced.is_error() && replaced.error().code() != ErrorCode::NotFound)
        return replaced.error();
    changing();
    stamp();
    auto moved = m_volume.rename(source_directory, name, target_directory, to_name);
    if (moved.is_error())
        return FileSystem::translate_library_error(moved.error());
    // The replaced file is gone (its entry now holds the moved one); the moved one's number
    // follows it. Onto itself (a spelling that differs only in case), nothing moved.
    if (!replaced.is_error() && !(replaced.value().location == source))
        m_numbers.forget(replaced.value().location);
    Core::Optional<Core::u64> number = m_numbers.find(source);
    if (number.has_value())
        m_numbers.move(number.value(), moved.value().location);
    return {};
}

Core::Result<void> FatBackend::set_mode(Core::u64 node, Core::u32 mode)
{
    // FAT's only permission is the read-only attribute: a file takes 0644 (the attribute
    // cleared) or 0444 (set), a directory keeps 0755. Any other mode cannot be held, and is
    // refused rather than kept as something else (as Linux's vfat refuses it).
    Entry found = TRY(entry(node));
    Core::u32 wanted = mode & 07777;
    if (found.is_directory() || (wanted != 0644 && wanted != 0444)) {
        if (wanted != mode_of(found))
            return ErrorCode::NotSupported;
        return {};
    }
    if (wanted == mode_of(found))
        return {};
    auto changed = m_volume.set_read_only(found.location, wanted == 0444);
    if (changed.is_error())
        return FileSystem::translate_library_error(changed.error());
    return {};
}

Core::Result<void> FatBackend::set_times(Core::u64 node, Core::i64, Core::i64 modification_time)
{
    // The write time is FAT's modification time; its access date follows it, so the access
    // time asked for is not kept. The root has no entry, so no times (0, as on Linux).
    Entry found = TRY(entry(node));
    if (found.location.is_root())
        return ErrorCode::NotSupported;
    Core::u64 seconds = modification_time < 0 ? 0 : static_cast<Core::u64>(modification_time);
    auto stamped = m_volume.set_write_time(found.location, seconds);
    if (stamped.is_error())
        return FileSystem::translate_library_error(stamped.error());
    return {};
}

Core::Result<void> FatBackend::sync(bool clean)
{
    // The page cache's dirty pages, then the device's own cache.
    TRY(m_cache.flush());
    if (clean && !m_read_only) {
        TRY(m_volume.mark_clean());
        TRY(m_cache.flush());
    }
    return {};
}

Core::Result<void> FatBackend::remove_orphans()
{
    Entry root = m_volume.root();
    // Gathered a few at a time, then removed: removing during the walk would change what the
    // walk reads. Each round removes at least one, or fails.
    constexpr Core::usize per_round = 16;
    for (;;) {
        OrphanName found[per_round];
        Core::usize count = 0;
        TRY(m_volume.for_each_entry(root, [&](const Entry& listed) {
            Core::StringView name = listed.name_view();
            if (!is_orphan_name(name))
                return true;
            for (Core::usize index = 0; index < name.length(); ++index)
                found[count].text[index] = name[index];
            found[count].length = name.length();
            return ++count < per_round;
        }));
        if (count == 0)
            return {};
        changing();
        stamp();
        for (Core::usize index = 0; index < count; ++index) {
            auto removed = m_volume.remove(root, found[index].view());
            if (removed.is_error())
                return FileSystem::translate_library_error(removed.error());
        }
    }
}

} // namespace FatService
