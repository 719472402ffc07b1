// The VFS service (docs/filesystems.md#the-vfs): the mount table and path resolution.
//
// Programs speak the namespace protocol to it (Userland/Services/FileSystem/Protocol.h): a
// path goes in, the VFS walks it one component at a time through the file system services
// mounted along the way (the node protocol), and answers, or asks the last one to open the
// node and hands the file's channel back. Reads and writes then go from the program to the
// file system service directly; the VFS is not on that path.
//
// Each namespace channel has a namespace: the mounts it sees. The first is init's, shared by
// every program started from it; CloneNamespace makes a copy that is changed on its own
// (unshare). A file system service runs while any namespace has it mounted.
//
// Start-up roles: NamespaceServer (the first namespace's channel), Ramdisk (the programs of
// the file system services), DeviceManager (block devices to mount).

#include <ABI/Port.h>
#include <ABI/Rights.h>
#include <ABI/Signals.h>
#include <Core/Ipc/Schema.h>
#include <Userland/LibC/Launch.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Block/Client.h>
#include <Userland/Services/FileSystem/Call.h>
#include <Userland/Services/FileSystem/Protocol.h>
#include <stdio.h>
#include <string.h>

namespace {

using Core::ErrorCode;
using FileSystem::Attributes;
using FileSystem::NodeOperation;
using FileSystem::NodeType;
using FileSystem::PathOperation;

constexpr Core::u32 maximum_namespaces = 32;
constexpr Core::u32 maximum_clients = 128;
// The file system services: as many as a namespace has mounts.
constexpr Core::u32 maximum_file_systems = FileSystem::maximum_mounts;
// How long a file system service has to answer its first request after it starts: it reads
// the volume's superblock and group descriptors meanwhile.
constexpr Core::u64 start_timeout_ns = 30'000'000'000;
// How long any other request may take: a sync writing back a full page cache takes a few
// seconds under emulation.
constexpr Core::u64 answer_timeout_ns = 60'000'000'000;

struct FileSystemService {
    bool used { false };
    Core::u32 device { 0 }; // the number stat's st_dev shows
    Core::u32 channel { 0 }; // node protocol
    Core::u32 process { 0 };
    Core::u64 root { 0 };
    Core::u32 flags { 0 };
    Core::u32 references { 0 }; // mounts of it, over every namespace
    char type[16] {};
    char source[32] {};
};

// One mount in a namespace: file system `file_system` covers node `covered_node` of file
// system `covered` (the root mount covers nothing).
struct Mount {
    bool used { false };
    Core::u32 file_system { 0 };
    Core::u32 covered { 0 };
    Core::u64 covered_node { 0 };
    char path[192] {}; // as it was mounted, for listings
};

struct Namespace {
    bool used { false };
    Core::u32 channels { 0 }; // namespace channels that use it
    Mount mounts[FileSystem::maximum_mounts]; // mounts[0] is the root
};

struct Client {
    bool used { false };
    Core::u32 channel { 0 };
    Core::u32 space { 0 }; // its namespace
};

FileSystemService s_file_systems[maximum_file_systems];
Namespace s_namespaces[maximum_namespaces];
Client s_clients[maximum_clients];
Core::u32 s_port;
Core::u32 s_device_manager;
Core::u32 s_next_device = 1;

Core::u8 s_message[ABI::channel_maximum_message_bytes];
Core::u8 s_reply_bytes[ABI::channel_maximum_message_bytes];
Core::u8 s_call_request[ABI::channel_maximum_message_bytes];
Core::u8 s_call_reply[ABI::channel_maximum_message_bytes];
Core::Ipc::Received<FileSystem::PathRequest> s_request;
Core::Ipc::Received<FileSystem::NodeReply> s_node_reply;
FileSystem::NodeRequest s_node_request;
FileSystem::PathReply s_path_reply;
FileSystem::MountList s_mount_list;

void log(const char* text)
{
    (void)System::debug_log(text, strlen(text));
}

Core::StringView view(Core::ReadonlyBytes bytes)
{
    return Core::StringView(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// ---- Calls to the file system services ----------------------------------------------------

struct NodeResult {
    ErrorCode error { static_cast<ErrorCode>(0) };
    Attributes attributes;
    Core::u32 handle { 0 };
    [[nodiscard]] bool failed() const { return error != static_cast<ErrorCode>(0); }
};

// Sends s_node_request (with `operation`) to the file system and decodes its answer.
NodeResult node_call(Core::u32 file_system, NodeOperation operation, Core::u64 deadline = 0)
{
    NodeResult result;
    s_node_request.operation = operation;
    // A file system service that stops answering fails the request (EIO) instead of holding
    // every other namespace's requests behind it.
    if (deadline == 0)
        deadline = System::clock_monotonic() + answer_timeout_ns;
    auto called = FileSystem::call(s_file_systems[file_system].channel, s_node_request,
        Core::Bytes(s_call_request, sizeof(s_call_request)), Core::Bytes(s_call_reply, sizeof(s_call_reply)),
        deadline);
    if (called.failure != 0) {
        result.error = ErrorCode::PeerClosed;
        return result;
    }
    Core::ReadonlyBytes reply(s_call_reply, called.reply_length);
    if (FileSystem::reply_tag(reply) == FileSystem::OpenNodeReply::message_tag) {
        ABI::HandleValue delivered[1] = { called.handle };
        auto opened = Core::Ipc::decode<FileSystem::OpenNodeReply>(
            reply, Core::Span<const ABI::HandleValue>(delivered, called.handle ? 1 : 0));
        if (opened.is_error()) {
            if (called.handle)
                (void)System::handle_close(called.handle);
            result.error = ErrorCode::Malformed;
            return result;
        }
        result.attributes = FileSystem::unpack<Attributes>(opened.value().message.attributes);
        result.handle = called.handle;
        return result;
    }
    if (called.handle)
        (void)System::handle_close(called.handle);
    if (Core::Ipc::decode_into(reply, {}, s_node_reply).is_error()) {
        result.error = ErrorCode::Malformed;
        return result;
    }
    result.error = static_cast<ErrorCode>(s_node_reply.message.status);
    result.attributes = FileSystem::unpack<Attributes>(s_node_reply.message.attributes);
    if (!result.failed() && !FileSystem::valid_type(result.attributes.type)
        && operation != NodeOperation::Sync && operation != NodeOperation::Unmount
        && operation != NodeOperation::Remove && operation != NodeOperation::Rename)
        result.error = ErrorCode::Malformed;
    result.attributes.device = s_file_systems[file_system].device;
    return result;
}

void clear_node_request()
{
    s_node_request.node = 0;
    s_node_request.other = 0;
    (void)s_node_request.name.assign(Core::ReadonlyBytes());
    (void)s_node_request.other_name.assign(Core::ReadonlyBytes());
    s_node_request.type = NodeType::Regular;
    s_node_request.mode = 0;
    s_node_request.flags = 0;
    s_node_request.value = 0;
    s_node_request.access_time = 0;
    s_node_request.modification_time = 0;
}

NodeResult lookup(Core::u32 file_system, Core::u64 directory, Core::StringView name)
{
    clear_node_request();
    s_node_request.node = directory;
    if (s_node_request.name.assign({ reinterpret_cast<const Core::u8*>(name.characters()), name.length() })
            .is_error()) {
        NodeResult result;
        result.error = ErrorCode::NameTooLong;
        return result;
    }
    return node_call(file_system, NodeOperation::Lookup);
}

// ---- Path resolution ----------------------------------------------------------------------

struct Location {
    Core::u32 file_system { 0 };
    Core::u64 node { 0 };
    Attributes attributes;
};

Location root_of(const Namespace& space)
{
    Location root;
    root.file_system = space.mounts[0].file_system;
    root.node = s_file_systems[root.file_system].root;
    root.attributes.type = static_cast<Core::u8>(NodeType::Directory);
    return root;
}

// The mount whose root is `location`'s node, if it is one (not the namespace's root).
int mount_rooted_at(const Namespace& space, const Location& location)
{
    for (Core::u32 index = 1; index < FileSystem::maximum_mounts; ++index) {
        const Mount& mount = space.mounts[index];
        if (mount.used && mount.file_system == location.file_system
            && s_file_systems[mount.file_system].root == location.node)
            return static_cast<int>(index);
    }
    return -1;
}

// The mount that covers `location`'s node, if one does (the newest, when several do).
int mount_covering(const Namespace& space, const Location& location)
{
    for (int index = FileSystem::maximum_mounts - 1; index >= 1; --index) {
        const Mount& mount = space.mounts[index];
        if (mount.used && mount.covered == location.file_system && mount.covered_node == location.node)
            return index;
    }
    return -1;
}

// The root of what is mounted on `location`, followed through mounts stacked on mounts.
Core::Result<Location> enter_mounts(const Namespace& space, Location location)
{
    for (Core::u32 depth = 0; depth < FileSystem::maximum_mounts; ++depth) {
        int mounted = mount_covering(space, location);
        if (mounted < 0)
            return location;
        Core::u32 file_system = space.mounts[mounted].file_system;
        clear_node_request();
        s_node_request.node = s_file_systems[file_system].root;
        NodeResult root = node_call(file_system, NodeOperation::GetAttributes);
        if (root.failed())
            return root.error;
        location = { file_system, s_file_systems[file_system].root, root.attributes };
    }
    return location;
}

// Resolves the absolute `path`: every component, symbolic links followed (the last one's
// only with `follow_last`), at most symlink_limit of them. "." and ".." as the directories
// say, except that ".." at a mount's root goes to the directory the mount covers, and ".."
// at the namespace's root stays there.
Core::Result<Location> resolve(const Namespace& space, Core::StringView path, bool follow_last)
{
    static char work[FileSystem::maximum_path * 2 + 2];
    static char scratch[FileSystem::maximum_path * 2 + 2];
    if (path.is_empty())
        return ErrorCode::NotFound;
    if (path[0] != '/')
        return ErrorCode::InvalidArgument;
    if (path.length() > FileSystem::maximum_path)
        return ErrorCode::NameTooLong;
    memcpy(work, path.characters(), path.length());
    Core::usize length = path.length();
    Core::usize position = 0;
    Core::u32 links = 0;
    Location current = root_of(space);
    {
        clear_node_request();
        s_node_request.node = current.node;
        NodeResult root = node_call(current.file_system, NodeOperation::GetAttributes);
        if (root.failed())
            return root.error;
        current.attributes = root.attributes;
    }
    for (;;) {
        while (position < length && work[position] == '/')
            ++position;
        if (position >= length)
            return current;
        Core::usize start = position;
        while (position < length && work[position] != '/')
            ++position;
        Core::StringView component(work + start, position - start);
        Core::usize rest = position;
        while (rest < length && work[rest] == '/')
            ++rest;
        bool last = rest >= length;
        if (current.attributes.type != static_cast<Core::u8>(NodeType::Directory))
            return ErrorCode::NotADirectory;
        if (component == "."_sv)
            continue;
        if (component == ".."_sv) {
            Location root = root_of(space);
            if (current.file_system == root.file_system && current.node == root.node)
                continue;
            // Out of mounts whose root this is, to the directory each covers.
            for (Core::u32 depth = 0; depth < FileSystem::maximum_mounts; ++depth) {
                int mount = mount_rooted_at(space, current);
                if (mount < 0)
                    break;
                current.file_system = space.mounts[mount].covered;
                current.node = space.mounts[mount].covered_node;
            }
            if (current.file_system == root.file_system && current.node == root.node)
                continue;
            NodeResult parent = lookup(current.file_system, current.node, ".."_sv);
            if (parent.failed())
                return parent.error;
            current = { current.file_system, parent.attributes.node, parent.attributes };
            continue;
        }
        if (component.length() > FileSystem::maximum_name)
            return ErrorCode::NameTooLong;
        NodeResult child = lookup(current.file_system, current.node, component);
        if (child.failed())
            return child.error;
        Location next = { current.file_system, child.attributes.node, child.attributes };
        if (next.attributes.type == static_cast<Core::u8>(NodeType::Symlink) && (!last || follow_last)) {
            if (++links > FileSystem::symlink_limit)
                return ErrorCode::SymlinkLoop;
            clear_node_request();
            s_node_request.node = next.node;
            NodeResult link = node_call(next.file_system, NodeOperation::ReadLink);
            if (link.failed())
                return link.error;
            Core::ReadonlyBytes target = s_node_reply.message.text.bytes();
            if (target.size() == 0)
                return ErrorCode::NotFound;
            // The target, then what was left of the path.
            Core::usize remaining = length - position;
            if (target.size() + remaining > FileSystem::maximum_path)
                return ErrorCode::NameTooLong;
            memcpy(scratch, target.data(), target.size());
            memcpy(scratch + target.size(), work + position, remaining);
            length = target.size() + remaining;
            memcpy(work, scratch, length);
            position = 0;
            if (work[0] == '/') {
                current = root_of(space);
                clear_node_request();
                s_node_request.node = current.node;
                NodeResult root = node_call(current.file_system, NodeOperation::GetAttributes);
                if (root.failed())
                    return root.error;
                current.attributes = root.attributes;
            }
            continue;
        }
        current = TRY(enter_mounts(space, next));
    }
}

// Splits `path` into its directory, resolved (a directory, symbolic links followed), and its
// last component, which it copies into `name`. A path that ends in "/" names its last
// directory component; "/" alone has no last component (InvalidArgument).
Core::Result<Location> resolve_parent(
    const Namespace& space, Core::StringView path, char (&name)[256], Core::usize& name_length)
{
    if (path.is_empty())
        return ErrorCode::NotFound;
    if (path[0] != '/')
        return ErrorCode::InvalidArgument;
    Core::usize end = path.length();
    while (end > 1 && path[end - 1] == '/')
        --end;
    Core::usize start = end;
    while (start > 0 && path[start - 1] != '/')
        --start;
    if (start == end)
        return ErrorCode::InvalidArgument;
    if (end - start > FileSystem::maximum_name)
        return ErrorCode::NameTooLong;
    name_length = end - start;
    memcpy(name, path.characters() + start, name_length);
    name[name_length] = 0;
    Location directory = TRY(resolve(space, Core::StringView(path.characters(), start), true));
    if (directory.attributes.type != static_cast<Core::u8>(NodeType::Directory))
        return ErrorCode::NotADirectory;
    return directory;
}

// ---- Mounting -----------------------------------------------------------------------------

const char* program_for(Core::StringView type)
{
    if (type == "ext2"_sv)
        return "/bin/ext2fs";
    if (type == "fat"_sv)
        return "/bin/fatfs";
    if (type == "tmpfs"_sv)
        return "/bin/tmpfs";
    if (type == "initramfs"_sv)
        return "/bin/initramfs";
    return nullptr;
}

// What the device holds: ext2's magic at byte 1080, or a FAT32 boot sector.
const char* detect_type(Core::u32 device)
{
    Block::GeometryReply geometry;
    if (!Block::geometry(device, geometry) || geometry.block_size == 0 || geometry.block_size > 4096)
        return nullptr;
    static Core::u8 start[4096];
    Core::u32 blocks = 4096 / geometry.block_size;
    if (geometry.block_count < blocks)
        return nullptr;
    Block::Status status;
    if (!Block::read(device, 0, blocks, geometry.block_size, start, status) || status != Block::Status::Ok)
        return nullptr;
    if (start[1080] == 0x53 && start[1081] == 0xEF)
        return "ext2";
    if (start[510] == 0x55 && start[511] == 0xAA && memcmp(start + 82, "FAT32   ", 8) == 0)
        return "fat";
    return nullptr;
}

void copy_text(char* destination, Core::usize capacity, Core::StringView text)
{
    Core::usize length = text.length() < capacity - 1 ? text.length() : capacity - 1;
    memcpy(destination, text.characters(), length);
    destination[length] = 0;
}

// `path` with "." and ".." folded away and slashes single, for listings (the mount point
// itself was resolved properly; this is only how it is shown).
void canonical_text(char* destination, Core::usize capacity, Core::StringView path)
{
    Core::usize length = 0;
    Core::usize position = 0;
    while (position < path.length()) {
        while (position < path.length() && path[position] == '/')
            ++position;
        Core::usize start = position;
        while (position < path.length() && path[position] != '/')
            ++position;
        Core::StringView component(path.characters() + start, position - start);
        if (component.is_empty() || component == "."_sv)
            continue;
        if (component == ".."_sv) {
            while (length > 0 && destination[length - 1] != '/')
                --length;
            if (length > 0)
                --length;
            continue;
        }
        if (length + 1 + component.length() + 1 > capacity)
            break;
        destination[length++] = '/';
        memcpy(destination + length, component.characters(), component.length());
        length += component.length();
    }
    if (length == 0)
        destination[length++] = '/';
    destination[length] = 0;
}

// Starts a file system service for `source` and waits for its first answer: the index of
// its FileSystemService.
Core::Result<Core::u32> start_file_system(Core::StringView source, Core::StringView type, Core::u32 flags)
{
    Core::u32 slot = 0;
    while (slot < maximum_file_systems && s_file_systems[slot].used)
        ++slot;
    if (slot == maximum_file_systems)
        return ErrorCode::OutOfRange;
    bool on_device = !(type == "tmpfs"_sv || type == "initramfs"_sv);
    Core::u32 device = 0;
    char device_name[32] {};
    if (on_device) {
        Core::StringView name = source;
        if (name.starts_with("/dev/"_sv))
            name = name.substring(5);
        copy_text(device_name, sizeof(device_name), name);
        if (name.is_empty() || name.length() >= sizeof(device_name) || !s_device_manager)
            return ErrorCode::NotFound;
        // A device already mounted (in any namespace) is served by the service that has it:
        // two services writing one volume would each trust their own idea of its bitmaps.
        for (Core::u32 index = 0; index < maximum_file_systems; ++index) {
            FileSystemService& running = s_file_systems[index];
            if (!running.used || strcmp(running.source, device_name) != 0 || !program_for(running.type)
                || Core::StringView(running.type, strlen(running.type)) == "tmpfs"_sv)
                continue;
            if (!type.is_empty() && type != Core::StringView(running.type, strlen(running.type)))
                return ErrorCode::Busy;
            if ((running.flags & FileSystem::MountFlag::read_only)
                != (flags & FileSystem::MountFlag::read_only))
                return ErrorCode::Busy;
            return index;
        }
        device = Block::open_device(s_device_manager, device_name);
        if (!device)
            return ErrorCode::NotFound;
        if (type.is_empty()) {
            const char* detected = detect_type(device);
            if (!detected) {
                (void)System::handle_close(device);
                return ErrorCode::NotSupported;
            }
            type = Core::StringView(detected, strlen(detected));
        }
    }
    const char* program = program_for(type);
    LibC::RamdiskNode image;
    if (!program || LibC::ramdisk_lookup(program, image) != 0 || image.is_directory) {
        if (device)
            (void)System::handle_close(device);
        return ErrorCode::NotSupported;
    }
    Core::u32 ends[2];
    if (System::channel_create(ABI::ChannelQos::Bulk, ends) != 0) {
        if (device)
            (void)System::handle_close(device);
        return ErrorCode::OutOfMemory;
    }
    Core::u32 handles[3];
    LibC::LaunchHandle roles[3];
    Core::u32 count = 0;
    handles[count] = ends[1];
    roles[count++] = { LibC::HandleRole::FileSystemServer, 0 };
    if (device) {
        handles[count] = device;
        roles[count++] = { LibC::HandleRole::BlockDevice, 0 };
    }
    if (type == "initramfs"_sv) {
        const LibC::StartupHandle* ramdisk = LibC::startup_handle(LibC::HandleRole::Ramdisk);
        Core::i64 copy = ramdisk ? System::handle_duplicate(ramdisk->handle,
                             (ABI::Right::Read | ABI::Right::Map | ABI::Right::Transfer).raw())
                                 : -1;
        if (copy > 0) {
            handles[count] = static_cast<Core::u32>(copy);
            roles[count++] = { LibC::HandleRole::Ramdisk, 0 };
        }
    }
    const char* read_only = (flags & FileSystem::MountFlag::read_only) ? "--read-only" : nullptr;
    const char* arguments[] = { program + 5, read_only, nullptr };
    const char* environment[] = { nullptr };
    Core::i64 process = LibC::launch_program(
        program + 5, image.data, image.size, arguments, environment, handles, roles, count);
    if (process < 0) {
        (void)System::handle_close(ends[0]);
        return ErrorCode::OutOfMemory;
    }
    FileSystemService& service = s_file_systems[slot];
    service = {};
    service.used = true;
    service.channel = ends[0];
    service.process = static_cast<Core::u32>(process);
    service.device = s_next_device++;
    service.flags = flags;
    copy_text(service.type, sizeof(service.type), type);
    copy_text(service.source, sizeof(service.source),
        on_device ? Core::StringView(device_name, strlen(device_name)) : source);
    // The first answer says the volume opened: a service that could not open it has ended,
    // and the call fails.
    clear_node_request();
    NodeResult statistics
        = node_call(slot, NodeOperation::GetStatistics, System::clock_monotonic() + start_timeout_ns);
    if (statistics.failed()) {
        Core::i64 status = 0;
        (void)System::process_wait(service.process, &status, System::clock_monotonic() + 5'000'000'000ull);
        (void)System::process_kill(service.process);
        (void)System::handle_close(service.process);
        (void)System::handle_close(service.channel);
        service = {};
        // The services' exit status 2 is "not a volume of this type" (or a damaged one), as
        // Linux's mount says EINVAL for a bad superblock.
        return status == 2 ? ErrorCode::InvalidArgument : ErrorCode::NotSupported;
    }
    // GetStatistics answers with the root's attributes too.
    service.root = statistics.attributes.node;
    return slot;
}

void stop_file_system(Core::u32 slot)
{
    FileSystemService& service = s_file_systems[slot];
    clear_node_request();
    (void)node_call(slot, NodeOperation::Unmount);
    Core::i64 status = 0;
    if (System::process_wait(service.process, &status, System::clock_monotonic() + 10'000'000'000ull) != 0)
        (void)System::process_kill(service.process);
    (void)System::handle_close(service.process);
    (void)System::handle_close(service.channel);
    service = {};
}

void release_file_system(Core::u32 slot)
{
    if (--s_file_systems[slot].references == 0)
        stop_file_system(slot);
}

// ---- The namespace protocol ---------------------------------------------------------------

template<typename Reply>
void send(Core::u32 channel, const Reply& reply, Core::u64 transaction, Core::Span<Core::u32> handles = {})
{
    auto encoded
        = Core::Ipc::encode(reply, transaction, Core::Bytes(s_reply_bytes, sizeof(s_reply_bytes)), handles);
    if (encoded.is_error()) {
        for (Core::u32 handle : handles)
            (void)System::handle_close(handle);
        return;
    }
    if (System::channel_write(
            channel, s_reply_bytes, encoded.value().byte_count, handles.data(), encoded.value().handle_count)
        != 0) {
        for (Core::u32 index = 0; index < encoded.value().handle_count; ++index)
            (void)System::handle_close(handles[index]);
    }
}

void reply_status(Core::u32 channel, Core::u64 transaction, ErrorCode error,
    const Attributes* attributes = nullptr, Core::ReadonlyBytes text = {})
{
    s_path_reply.status = static_cast<Core::u16>(error);
    s_path_reply.attributes = attributes ? FileSystem::pack(*attributes) : FileSystem::AttributeBytes {};
    if (s_path_reply.text.assign(text).is_error())
        (void)s_path_reply.text.assign(Core::ReadonlyBytes());
    send(channel, s_path_reply, transaction);
}

constexpr ErrorCode success = static_cast<ErrorCode>(0);

// Whether `location` is a mount point or a mount's root in `space` (it cannot be removed or
// renamed while mounted).
bool busy(const Namespace& space, const Location& location)
{
    return mount_covering(space, location) >= 0 || mount_rooted_at(space, location) >= 0
        || (location.file_system == space.mounts[0].file_system
            && location.node == s_file_systems[location.file_system].root);
}

Core::Result<void> open_path(
    Core::u32 channel, Core::u64 transaction, const Namespace& space, const FileSystem::PathRequest& request)
{
    using namespace FileSystem;
    Core::StringView path = view(request.path.bytes());
    Core::u32 flags = request.flags;
    if (flags & ~OpenFlag::known)
        return ErrorCode::InvalidArgument;
    bool follow = !(flags & OpenFlag::no_follow);
    Location target;
    if (flags & OpenFlag::create) {
        char name[256];
        Core::usize name_length = 0;
        Location directory = TRY(resolve_parent(space, path, name, name_length));
        Core::StringView last(name, name_length);
        NodeResult existing = lookup(directory.file_system, directory.node, last);
        if (!existing.failed()) {
            if (flags & OpenFlag::exclusive)
                return ErrorCode::AlreadyExists;
            target = TRY(resolve(space, path, follow));
        } else if (existing.error == ErrorCode::NotFound) {
            if (last == "."_sv || last == ".."_sv)
                return ErrorCode::AlreadyExists;
            if (s_file_systems[directory.file_system].flags & MountFlag::read_only)
                return ErrorCode::ReadOnlyFileSystem;
            clear_node_request();
            s_node_request.node = directory.node;
            (void)s_node_request.name.assign({ reinterpret_cast<const Core::u8*>(name), name_length });
            s_node_request.type = NodeType::Regular;
            s_node_request.mode = request.mode & 07777;
            NodeResult created = node_call(directory.file_system, NodeOperation::Create);
            if (created.failed())
                return created.error;
            target = { directory.file_system, created.attributes.node, created.attributes };
        } else {
            return existing.error;
        }
    } else {
        target = TRY(resolve(space, path, follow));
    }
    if ((flags & OpenFlag::directory) && target.attributes.type != static_cast<Core::u8>(NodeType::Directory))
        return ErrorCode::NotADirectory;
    if ((flags & OpenFlag::write) && (s_file_systems[target.file_system].flags & MountFlag::read_only))
        return ErrorCode::ReadOnlyFileSystem;
    clear_node_request();
    s_node_request.node = target.node;
    s_node_request.flags = flags & (OpenFlag::read | OpenFlag::write | OpenFlag::append | OpenFlag::truncate);
    NodeResult opened = node_call(target.file_system, NodeOperation::Open);
    if (opened.failed())
        return opened.error;
    OpenReply reply;
    reply.attributes = pack(opened.attributes);
    reply.file.value = opened.handle;
    Core::u32 handles[1] = { opened.handle };
    send(channel, reply, transaction, Core::Span<Core::u32>(handles, 1));
    return {};
}

Core::Result<void> mount_path(Namespace& space, const FileSystem::PathRequest& request)
{
    using namespace FileSystem;
    Core::StringView path = view(request.path.bytes());
    if (request.flags & ~MountFlag::known)
        return ErrorCode::InvalidArgument;
    Location point = TRY(resolve(space, path, true));
    if (point.attributes.type != static_cast<Core::u8>(NodeType::Directory))
        return ErrorCode::NotADirectory;
    if (mount_covering(space, point) >= 0)
        return ErrorCode::Busy;
    Core::u32 slot = 1;
    while (slot < maximum_mounts && space.mounts[slot].used)
        ++slot;
    if (slot == maximum_mounts)
        return ErrorCode::OutOfRange;
    Core::StringView type = view(request.text_argument.bytes());
    Core::StringView source = view(request.second.bytes());
    if (source.is_empty())
        return ErrorCode::InvalidArgument;
    if (type.is_empty() && source == "tmpfs"_sv)
        type = "tmpfs"_sv;
    Core::u32 file_system = TRY(start_file_system(source, type, request.flags));
    ++s_file_systems[file_system].references;
    Mount& mount = space.mounts[slot];
    mount = {};
    mount.used = true;
    mount.file_system = file_system;
    mount.covered = point.file_system;
    mount.covered_node = point.node;
    canonical_text(mount.path, sizeof(mount.path), path);
    return {};
}

Core::Result<void> unmount_path(Namespace& space, const FileSystem::PathRequest& request)
{
    Location point = TRY(resolve(space, view(request.path.bytes()), true));
    int mount = mount_rooted_at(space, point);
    if (mount < 0)
        return ErrorCode::InvalidArgument;
    // Mounts on top of it go first.
    Core::u32 file_system = space.mounts[mount].file_system;
    for (Core::u32 index = 1; index < FileSystem::maximum_mounts; ++index) {
        if (space.mounts[index].used && space.mounts[index].covered == file_system)
            return ErrorCode::Busy;
    }
    ErrorCode last_write_back { static_cast<ErrorCode>(0) };
    if (s_file_systems[file_system].references == 1) {
        // The last mount of it: the service syncs, marks its volume clean and ends. It
        // refuses while files are open (Busy), and ends after any other answer: a last
        // write-back that failed (its disk went away) is reported, but the unmount is done,
        // since nothing could serve the mount any more.
        clear_node_request();
        NodeResult stopped = node_call(file_system, NodeOperation::Unmount);
        if (stopped.error == ErrorCode::Busy)
            return stopped.error;
        if (stopped.failed() && stopped.error != ErrorCode::PeerClosed)
            last_write_back = stopped.error;
        Core::i64 status = 0;
        if (System::process_wait(
                s_file_systems[file_system].process, &status, System::clock_monotonic() + 10'000'000'000ull)
            != 0)
            (void)System::process_kill(s_file_systems[file_system].process);
        (void)System::handle_close(s_file_systems[file_system].process);
        (void)System::handle_close(s_file_systems[file_system].channel);
        s_file_systems[file_system] = {};
    } else {
        --s_file_systems[file_system].references;
    }
    space.mounts[mount] = {};
    if (last_write_back != static_cast<ErrorCode>(0))
        return last_write_back;
    return {};
}

Core::Result<void> perform(Core::u32 channel, Core::u64 transaction, Namespace& space,
    const FileSystem::PathRequest& request, bool& replied)
{
    using namespace FileSystem;
    Core::StringView path = view(request.path.bytes());
    char name[256];
    Core::usize name_length = 0;
    auto set_name = [&](Core::StringView text) {
        (void)s_node_request.name.assign(
            { reinterpret_cast<const Core::u8*>(text.characters()), text.length() });
    };
    auto check_writable = [&](Core::u32 file_system) -> Core::Result<void> {
        if (s_file_systems[file_system].flags & MountFlag::read_only)
            return ErrorCode::ReadOnlyFileSystem;
        return {};
    };
    switch (request.operation) {
    case PathOperation::Open:
        TRY(open_path(channel, transaction, space, request));
        replied = true;
        return {};
    case PathOperation::Stat:
    case PathOperation::StatLink: {
        Location found = TRY(resolve(space, path, request.operation == PathOperation::Stat));
        reply_status(channel, transaction, success, &found.attributes);
        replied = true;
        return {};
    }
    case PathOperation::MakeDirectory:
    case PathOperation::MakeSymlink: {
        Location directory = TRY(resolve_parent(space, path, name, name_length));
        Core::StringView last(name, name_length);
        if (last == "."_sv || last == ".."_sv)
            return ErrorCode::AlreadyExists;
        // A name that exists is EEXIST, even where nothing could be made (POSIX's order).
        if (!lookup(directory.file_system, directory.node, last).failed())
            return ErrorCode::AlreadyExists;
        TRY(check_writable(directory.file_system));
        clear_node_request();
        s_node_request.node = directory.node;
        set_name(last);
        if (request.operation == PathOperation::MakeDirectory) {
            s_node_request.type = NodeType::Directory;
            s_node_request.mode = request.mode & 07777;
        } else {
            s_node_request.type = NodeType::Symlink;
            s_node_request.mode = 0777;
            TRY(s_node_request.other_name.assign(request.second.bytes()));
        }
        NodeResult created = node_call(directory.file_system, NodeOperation::Create);
        if (created.failed())
            return created.error;
        return {};
    }
    case PathOperation::RemoveFile:
    case PathOperation::RemoveDirectory: {
        Location directory = TRY(resolve_parent(space, path, name, name_length));
        TRY(check_writable(directory.file_system));
        Core::StringView last(name, name_length);
        if (last == "."_sv || last == ".."_sv)
            return ErrorCode::InvalidArgument;
        NodeResult child = lookup(directory.file_system, directory.node, last);
        if (child.failed())
            return child.error;
        Location target { directory.file_system, child.attributes.node, child.attributes };
        if (busy(space, target))
            return ErrorCode::Busy;
        clear_node_request();
        s_node_request.node = directory.node;
        set_name(last);
        s_node_request.flags = request.operation == PathOperation::RemoveDirectory ? 1 : 0;
        NodeResult removed = node_call(directory.file_system, NodeOperation::Remove);
        if (removed.failed())
            return removed.error;
        return {};
    }
    case PathOperation::ReadLink: {
        Location link = TRY(resolve(space, path, false));
        if (link.attributes.type != static_cast<Core::u8>(NodeType::Symlink))
            return ErrorCode::InvalidArgument;
        clear_node_request();
        s_node_request.node = link.node;
        NodeResult target = node_call(link.file_system, NodeOperation::ReadLink);
        if (target.failed())
            return target.error;
        static Core::u8 text[maximum_path];
        Core::usize length = s_node_reply.message.text.length();
        memcpy(text, s_node_reply.message.text.bytes().data(), length);
        reply_status(channel, transaction, success, &link.attributes, Core::ReadonlyBytes(text, length));
        replied = true;
        return {};
    }
    case PathOperation::Rename: {
        static char to_name[256];
        Core::usize to_length = 0;
        Location from = TRY(resolve_parent(space, path, name, name_length));
        Location to = TRY(resolve_parent(space, view(request.second.bytes()), to_name, to_length));
        if (from.file_system != to.file_system)
            return ErrorCode::CrossDevice;
        TRY(check_writable(from.file_system));
        Core::StringView last(name, name_length);
        NodeResult moving = lookup(from.file_system, from.node, last);
        if (moving.failed())
            return moving.error;
        if (busy(space, { from.file_system, moving.attributes.node, moving.attributes }))
            return ErrorCode::Busy;
        NodeResult replaced = lookup(to.file_system, to.node, Core::StringView(to_name, to_length));
        if (!replaced.failed()
            && busy(space, { to.file_system, replaced.attributes.node, replaced.attributes }))
            return ErrorCode::Busy;
        clear_node_request();
        s_node_request.node = from.node;
        set_name(last);
        s_node_request.other = to.node;
        (void)s_node_request.other_name.assign({ reinterpret_cast<const Core::u8*>(to_name), to_length });
        NodeResult renamed = node_call(from.file_system, NodeOperation::Rename);
        if (renamed.failed())
            return renamed.error;
        return {};
    }
    case PathOperation::Mount:
        return mount_path(space, request);
    case PathOperation::Unmount:
        return unmount_path(space, request);
    case PathOperation::SetMode:
    case PathOperation::SetTimes: {
        Location target = TRY(resolve(space, path, true));
        TRY(check_writable(target.file_system));
        clear_node_request();
        s_node_request.node = target.node;
        if (request.operation == PathOperation::SetMode) {
            s_node_request.flags = 1;
            s_node_request.mode = request.mode & 07777;
        } else {
            s_node_request.flags = 2;
            s_node_request.access_time = request.access_time;
            s_node_request.modification_time = request.modification_time;
        }
        NodeResult changed = node_call(target.file_system, NodeOperation::SetAttributes);
        if (changed.failed())
            return changed.error;
        return {};
    }
    case PathOperation::Truncate: {
        Location target = TRY(resolve(space, path, true));
        TRY(check_writable(target.file_system));
        clear_node_request();
        s_node_request.node = target.node;
        s_node_request.value = request.value;
        NodeResult truncated = node_call(target.file_system, NodeOperation::Truncate);
        if (truncated.failed())
            return truncated.error;
        return {};
    }
    case PathOperation::Sync:
        for (Core::u32 index = 0; index < maximum_file_systems; ++index) {
            if (s_file_systems[index].used) {
                clear_node_request();
                (void)node_call(index, NodeOperation::Sync);
            }
        }
        return {};
    }
    return ErrorCode::InvalidArgument;
}

void list_mounts(Core::u32 channel, Core::u64 transaction, const Namespace& space)
{
    static FileSystem::MountRecord records[FileSystem::maximum_mounts];
    Core::u32 count = 0;
    for (Core::u32 index = 0; index < FileSystem::maximum_mounts; ++index) {
        const Mount& mount = space.mounts[index];
        if (!mount.used)
            continue;
        FileSystem::MountRecord& record = records[count++];
        record = {};
        const FileSystemService& service = s_file_systems[mount.file_system];
        copy_text(
            record.mount_point, sizeof(record.mount_point), Core::StringView(mount.path, strlen(mount.path)));
        copy_text(
            record.source, sizeof(record.source), Core::StringView(service.source, strlen(service.source)));
        copy_text(record.type, sizeof(record.type), Core::StringView(service.type, strlen(service.type)));
        record.flags = service.flags;
        record.device = service.device;
        clear_node_request();
        NodeResult statistics = node_call(mount.file_system, NodeOperation::GetStatistics);
        if (!statistics.failed())
            record.statistics = FileSystem::unpack<FileSystem::Statistics>(s_node_reply.message.statistics);
    }
    (void)s_mount_list.records.assign(Core::ReadonlyBytes(
        reinterpret_cast<const Core::u8*>(records), count * sizeof(FileSystem::MountRecord)));
    send(channel, s_mount_list, transaction);
}

// A client on `channel` with namespace `space`: false when there is no room.
bool add_client(Core::u32 channel, Core::u32 space)
{
    for (Core::u32 index = 0; index < maximum_clients; ++index) {
        if (!s_clients[index].used) {
            if (System::port_bind(s_port, channel,
                    ABI::signal_bits(ABI::Signal::Readable) | ABI::signal_bits(ABI::Signal::PeerClosed),
                    index, 0)
                != 0)
                return false;
            s_clients[index] = { true, channel, space };
            ++s_namespaces[space].channels;
            return true;
        }
    }
    return false;
}

void drop_namespace(Core::u32 space)
{
    Namespace& dropped = s_namespaces[space];
    if (--dropped.channels != 0)
        return;
    // Innermost mounts first, so that each file system is released after those on it.
    for (int index = FileSystem::maximum_mounts - 1; index >= 0; --index) {
        if (dropped.mounts[index].used)
            release_file_system(dropped.mounts[index].file_system);
    }
    dropped = {};
}

void clone_namespace(Core::u32 channel, Core::u64 transaction, Core::u32 space)
{
    Core::u32 slot = 0;
    while (slot < maximum_namespaces && s_namespaces[slot].used)
        ++slot;
    Core::u32 ends[2];
    if (slot == maximum_namespaces || System::channel_create(ABI::ChannelQos::Bulk, ends) != 0) {
        reply_status(channel, transaction, ErrorCode::OutOfRange);
        return;
    }
    Namespace& copy = s_namespaces[slot];
    copy = s_namespaces[space];
    copy.channels = 0;
    for (const Mount& mount : copy.mounts) {
        if (mount.used)
            ++s_file_systems[mount.file_system].references;
    }
    if (!add_client(ends[0], slot)) {
        copy.channels = 1;
        drop_namespace(slot);
        (void)System::handle_close(ends[0]);
        (void)System::handle_close(ends[1]);
        reply_status(channel, transaction, ErrorCode::OutOfRange);
        return;
    }
    FileSystem::CloneNamespaceReply reply;
    reply.channel.value = ends[1];
    Core::u32 handles[1] = { ends[1] };
    send(channel, reply, transaction, Core::Span<Core::u32>(handles, 1));
}

void serve_message(Client& client, Core::ReadonlyBytes bytes, Core::u64 transaction)
{
    auto header = Core::Ipc::read_header(bytes, 0);
    if (header.is_error()) {
        reply_status(client.channel, transaction, ErrorCode::Malformed);
        return;
    }
    switch (header.value().message_tag) {
    case FileSystem::PathRequest::message_tag: {
        if (Core::Ipc::decode_into(bytes, {}, s_request).is_error()) {
            reply_status(client.channel, transaction, ErrorCode::Malformed);
            return;
        }
        bool replied = false;
        auto result
            = perform(client.channel, transaction, s_namespaces[client.space], s_request.message, replied);
        if (result.is_error())
            reply_status(client.channel, transaction, result.error().code());
        else if (!replied)
            reply_status(client.channel, transaction, success);
        return;
    }
    case FileSystem::ListMountsRequest::message_tag:
        list_mounts(client.channel, transaction, s_namespaces[client.space]);
        return;
    case FileSystem::CloneNamespaceRequest::message_tag:
        clone_namespace(client.channel, transaction, client.space);
        return;
    default:
        reply_status(client.channel, transaction, ErrorCode::InvalidArgument);
    }
}

// Serves what the client's channel holds; false once its last holder closed it.
bool serve_client(Client& client)
{
    for (;;) {
        Core::u32 handles[ABI::channel_maximum_message_handles];
        ABI::ChannelReadBuffer buffer { reinterpret_cast<Core::u64>(s_message), sizeof(s_message),
            reinterpret_cast<Core::u64>(handles), ABI::channel_maximum_message_handles, 0, 0 };
        Core::i64 result = System::channel_read(client.channel, &buffer);
        if (result == System::failure(ABI::ErrorCode::WouldBlock))
            return true;
        if (result != 0)
            return false;
        for (Core::u64 index = 0; index < buffer.handle_count; ++index)
            (void)System::handle_close(handles[index]);
        Core::ReadonlyBytes bytes(s_message, buffer.byte_count);
        auto header = Core::Ipc::read_header(bytes, buffer.handle_count);
        if (header.is_error() || header.value().transaction_id == 0 || (header.value().flags & 1))
            continue;
        if (buffer.handle_count != 0) {
            reply_status(client.channel, header.value().transaction_id, ErrorCode::Malformed);
            continue;
        }
        serve_message(client, bytes, header.value().transaction_id);
    }
}

} // namespace

int main(int argc, char** argv)
{
    (void)argc;
    (void)argv;
    const LibC::StartupHandle* server = LibC::startup_handle(LibC::HandleRole::NamespaceServer);
    if (!server) {
        log("started without its namespace channel");
        return 2;
    }
    const LibC::StartupHandle* device_manager = LibC::startup_handle(LibC::HandleRole::DeviceManager);
    s_device_manager = device_manager ? device_manager->handle : 0;
    Core::i64 port = System::port_create();
    if (port < 0)
        return 3;
    s_port = static_cast<Core::u32>(port);
    // The first namespace: the RAM disk at the root, read-only, and a tmpfs at /tmp.
    Namespace& first = s_namespaces[0];
    first.used = true;
    auto root = start_file_system("initrd"_sv, "initramfs"_sv, FileSystem::MountFlag::read_only);
    if (root.is_error()) {
        log("the initramfs did not start");
        return 4;
    }
    s_file_systems[root.value()].references = 1;
    first.mounts[0].used = true;
    first.mounts[0].file_system = root.value();
    copy_text(first.mounts[0].path, sizeof(first.mounts[0].path), "/"_sv);
    static FileSystem::PathRequest tmp;
    (void)tmp.path.assign({ reinterpret_cast<const Core::u8*>("/tmp"), 4 });
    (void)tmp.second.assign({ reinterpret_cast<const Core::u8*>("tmpfs"), 5 });
    (void)tmp.text_argument.assign({ reinterpret_cast<const Core::u8*>("tmpfs"), 5 });
    if (mount_path(first, tmp).is_error())
        log("no tmpfs at /tmp");
    if (!add_client(server->handle, 0))
        return 3;
    for (;;) {
        ABI::PortPacket packet {};
        if (System::port_wait(s_port, &packet, ABI::no_deadline) != 0)
            return 3;
        if (packet.key >= maximum_clients || !s_clients[packet.key].used)
            continue;
        Client& client = s_clients[packet.key];
        bool open = serve_client(client);
        if (open
            && System::port_bind(s_port, client.channel,
                   ABI::signal_bits(ABI::Signal::Readable) | ABI::signal_bits(ABI::Signal::PeerClosed),
                   packet.key, 0)
                == 0)
            continue;
        (void)System::handle_close(client.channel);
        Core::u32 space = client.space;
        client = {};
        drop_namespace(space);
    }
}
