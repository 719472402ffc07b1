#include <ABI/Port.h>
#include <ABI/Signals.h>
#include <Core/Ipc/Schema.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/FileSystem/Server.h>
#include <string.h>

namespace FileSystem {

namespace {

using Core::ErrorCode;

struct OpenFile {
    bool used { false };
    Core::u32 channel { 0 };
    Core::u64 node { 0 };
    NodeType type { NodeType::Regular };
    Core::u32 flags { 0 }; // OpenFlag: read, write, append
    Core::u64 offset { 0 };
};

// A node whose last name was removed while it was open: it lives until its last channel
// closes (Backend::remove's `keep`).
struct KeptNode {
    bool used { false };
    Core::u64 node { 0 };
};

constexpr Core::u64 node_channel_key = 0;
constexpr Core::u64 idle_sync_ns = 1'000'000'000;

struct State {
    Backend* backend { nullptr };
    Core::u32 node_channel { 0 };
    Core::u32 port { 0 };
    OpenFile files[maximum_open_files];
    KeptNode kept[maximum_open_files];
};

State s_state;
// Messages in and out; one at a time, on the one thread.
Core::u8 s_message[ABI::channel_maximum_message_bytes];
Core::u8 s_reply_bytes[ABI::channel_maximum_message_bytes];
Core::Ipc::Received<NodeRequest> s_node_request;
Core::Ipc::Received<FileRequest> s_file_request;
NodeReply s_node_reply;
FileReply s_file_reply;

constexpr Core::u32 wait_signals
    = ABI::signal_bits(ABI::Signal::Readable) | ABI::signal_bits(ABI::Signal::PeerClosed);

bool bind(Core::u32 channel, Core::u64 key)
{
    return System::port_bind(s_state.port, channel, wait_signals, key, 0) == 0;
}

Core::u16 status_from(const Core::Error& error)
{
    return status_of(error.code());
}

Core::StringView view(Core::ReadonlyBytes bytes)
{
    return Core::StringView(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// A name one component long: 1 to 255 bytes, no '/' or NUL.
Core::Result<void> check_name(Core::ReadonlyBytes name)
{
    if (name.size() == 0)
        return ErrorCode::InvalidArgument;
    if (name.size() > maximum_name)
        return ErrorCode::NameTooLong;
    for (Core::usize index = 0; index < name.size(); ++index) {
        if (name[index] == '/' || name[index] == 0)
            return ErrorCode::InvalidArgument;
    }
    return {};
}

bool is_dot_or_dot_dot(Core::StringView name)
{
    return name == "."_sv || name == ".."_sv;
}

Core::u32 open_count(Core::u64 node)
{
    Core::u32 count = 0;
    for (auto& file : s_state.files) {
        if (file.used && file.node == node)
            ++count;
    }
    return count;
}

void keep_node(Core::u64 node)
{
    for (auto& kept : s_state.kept) {
        if (!kept.used) {
            kept = { true, node };
            return;
        }
    }
}

// A kept node whose last channel just closed goes now.
void release_if_kept(Core::u64 node)
{
    if (open_count(node) != 0)
        return;
    for (auto& kept : s_state.kept) {
        if (kept.used && kept.node == node) {
            kept.used = false;
            (void)s_state.backend->release(node);
        }
    }
}

void close_file(OpenFile& file)
{
    (void)System::handle_close(file.channel);
    Core::u64 node = file.node;
    file = OpenFile {};
    release_if_kept(node);
}

template<typename Reply> void send_reply(Core::u32 channel, const Reply& reply, Core::u64 transaction)
{
    auto encoded
        = Core::Ipc::encode(reply, transaction, Core::Bytes(s_reply_bytes, sizeof(s_reply_bytes)), {});
    if (!encoded.is_error())
        (void)System::channel_write(channel, s_reply_bytes, encoded.value().byte_count);
}

// ---- The node protocol --------------------------------------------------------------------

Core::Result<void> reply_attributes(Core::u64 node)
{
    Attributes attributes = TRY(s_state.backend->attributes(node));
    s_node_reply.attributes = pack(attributes);
    return {};
}

Core::Result<void> check_writable()
{
    if (s_state.backend->read_only())
        return ErrorCode::ReadOnlyFileSystem;
    return {};
}

Core::Result<void> open_node(const NodeRequest& request, Core::u64 transaction)
{
    Backend& backend = *s_state.backend;
    Attributes attributes = TRY(backend.attributes(request.node));
    bool writing = (request.flags & OpenFlag::write) != 0;
    auto type = static_cast<NodeType>(attributes.type);
    if (type == NodeType::Directory && writing)
        return ErrorCode::IsADirectory;
    if (type == NodeType::Symlink)
        return ErrorCode::SymlinkLoop;
    if (writing)
        TRY(check_writable());
    OpenFile* slot = nullptr;
    Core::u32 index = 0;
    for (; index < maximum_open_files; ++index) {
        if (!s_state.files[index].used) {
            slot = &s_state.files[index];
            break;
        }
    }
    if (!slot)
        return ErrorCode::OutOfRange;
    if (writing && (request.flags & OpenFlag::truncate) && type == NodeType::Regular
        && attributes.size != 0) {
        TRY(backend.truncate(request.node, 0));
        attributes = TRY(backend.attributes(request.node));
    }
    Core::u32 ends[2];
    if (System::channel_create(ABI::ChannelQos::Bulk, ends) != 0)
        return ErrorCode::OutOfMemory;
    if (!bind(ends[0], index + 1)) {
        (void)System::handle_close(ends[0]);
        (void)System::handle_close(ends[1]);
        return ErrorCode::OutOfMemory;
    }
    *slot = { true, ends[0], request.node, type,
        request.flags & (OpenFlag::read | OpenFlag::write | OpenFlag::append), 0 };
    OpenNodeReply reply;
    reply.attributes = pack(attributes);
    reply.file.value = ends[1];
    Core::u32 handles[1];
    auto encoded = Core::Ipc::encode(reply, transaction, Core::Bytes(s_reply_bytes, sizeof(s_reply_bytes)),
        Core::Span<Core::u32>(handles, 1));
    if (encoded.is_error()
        || System::channel_write(s_state.node_channel, s_reply_bytes, encoded.value().byte_count, handles,
               encoded.value().handle_count)
            != 0) {
        // The VFS is gone or refused it: the file's other end goes, and with it the file.
        (void)System::handle_close(ends[1]);
        close_file(*slot);
    }
    return {};
}

Core::Result<void> perform_node(
    const NodeRequest& request, Core::u64 transaction, bool& replied, bool& unmount)
{
    Backend& backend = *s_state.backend;
    Core::StringView name = view(request.name.bytes());
    switch (request.operation) {
    case NodeOperation::Lookup: {
        TRY(check_name(request.name.bytes()));
        Core::u64 node = TRY(backend.lookup(request.node, name));
        return reply_attributes(node);
    }
    case NodeOperation::GetAttributes:
        return reply_attributes(request.node);
    case NodeOperation::Create: {
        TRY(check_writable());
        TRY(check_name(request.name.bytes()));
        if (is_dot_or_dot_dot(name))
            return ErrorCode::AlreadyExists;
        Core::StringView target = view(request.other_name.bytes());
        if (request.type == NodeType::Symlink
            && (target.is_empty() || memchr(target.characters(), 0, target.length())))
            return ErrorCode::InvalidArgument;
        Core::u64 node = TRY(backend.create(request.node, name, request.type, request.mode & 07777, target));
        return reply_attributes(node);
    }
    case NodeOperation::Remove: {
        TRY(check_writable());
        TRY(check_name(request.name.bytes()));
        if (is_dot_or_dot_dot(name))
            return ErrorCode::InvalidArgument;
        Core::u64 node = TRY(backend.lookup(request.node, name));
        Attributes attributes = TRY(backend.attributes(node));
        bool directory = attributes.type == static_cast<Core::u8>(NodeType::Directory);
        bool want_directory = (request.flags & 1) != 0;
        if (directory && !want_directory)
            return ErrorCode::IsADirectory;
        if (!directory && want_directory)
            return ErrorCode::NotADirectory;
        bool keep = open_count(node) != 0 && !directory && attributes.links <= 1;
        TRY(backend.remove(request.node, name, keep));
        if (keep)
            keep_node(node);
        return {};
    }
    case NodeOperation::Rename: {
        TRY(check_writable());
        TRY(check_name(request.name.bytes()));
        TRY(check_name(request.other_name.bytes()));
        Core::StringView to_name = view(request.other_name.bytes());
        if (is_dot_or_dot_dot(name) || is_dot_or_dot_dot(to_name))
            return ErrorCode::InvalidArgument;
        // A file replaced by the rename that is still open keeps its data until it closes,
        // as a removed one does: the backend removes it first, keeping it.
        auto replaced = backend.lookup(request.other, to_name);
        if (!replaced.is_error()) {
            Core::u64 moving = TRY(backend.lookup(request.node, name));
            Attributes old = TRY(backend.attributes(replaced.value()));
            Attributes moved_attributes = TRY(backend.attributes(moving));
            bool old_directory = old.type == static_cast<Core::u8>(NodeType::Directory);
            bool moved_directory = moved_attributes.type == static_cast<Core::u8>(NodeType::Directory);
            // POSIX's errors, the same on every file system.
            if (replaced.value() != moving && old_directory && !moved_directory)
                return ErrorCode::IsADirectory;
            if (replaced.value() != moving && !old_directory && moved_directory)
                return ErrorCode::NotADirectory;
            if (replaced.value() != moving && open_count(replaced.value()) != 0
                && old.type == static_cast<Core::u8>(NodeType::Regular) && old.links <= 1) {
                Attributes moved = TRY(backend.attributes(moving));
                if (moved.type == static_cast<Core::u8>(NodeType::Directory))
                    return ErrorCode::NotADirectory;
                TRY(backend.remove(request.other, to_name, true));
                keep_node(replaced.value());
            }
        }
        return backend.rename(request.node, name, request.other, to_name);
    }
    case NodeOperation::ReadLink: {
        Attributes attributes = TRY(backend.attributes(request.node));
        if (attributes.type != static_cast<Core::u8>(NodeType::Symlink))
            return ErrorCode::InvalidArgument;
        static Core::u8 target[maximum_path];
        Core::usize length = TRY(backend.read_link(request.node, Core::Bytes(target, sizeof(target))));
        TRY(s_node_reply.text.assign(Core::ReadonlyBytes(target, length)));
        s_node_reply.attributes = pack(attributes);
        return {};
    }
    case NodeOperation::Open:
        TRY(open_node(request, transaction));
        replied = true;
        return {};
    case NodeOperation::GetStatistics: {
        Statistics statistics = TRY(backend.statistics());
        statistics.read_only = backend.read_only() ? 1 : 0;
        s_node_reply.statistics = pack(statistics);
        // The root's attributes come with it: how the VFS learns the root's number.
        return reply_attributes(backend.root());
    }
    case NodeOperation::Sync:
        if (backend.read_only())
            return {};
        return backend.sync(false);
    case NodeOperation::Unmount:
        // Not while a file is open: its holder would lose it under its feet (EBUSY).
        for (auto& file : s_state.files) {
            if (file.used)
                return ErrorCode::Busy;
        }
        unmount = true;
        if (backend.read_only())
            return {};
        if (auto synced = backend.sync(true); synced.is_error()) {
            // The service ends all the same (the VFS drops the mount): the log says what
            // was lost, the caller gets the error.
            System::debug_log("unmounted, but the last write-back failed: what was not written is lost");
            return synced.error();
        }
        return {};
    case NodeOperation::SetAttributes:
        TRY(check_writable());
        if (request.flags & 1)
            TRY(backend.set_mode(request.node, request.mode & 07777));
        if (request.flags & 2)
            TRY(backend.set_times(request.node, request.access_time, request.modification_time));
        return reply_attributes(request.node);
    case NodeOperation::Truncate: {
        TRY(check_writable());
        Attributes attributes = TRY(backend.attributes(request.node));
        if (attributes.type == static_cast<Core::u8>(NodeType::Directory))
            return ErrorCode::IsADirectory;
        if (attributes.type != static_cast<Core::u8>(NodeType::Regular))
            return ErrorCode::InvalidArgument;
        TRY(backend.truncate(request.node, request.value));
        return reply_attributes(request.node);
    }
    }
    return ErrorCode::InvalidArgument;
}

// Serves one message of the VFS's channel; `unmount` once the file system is to end.
void serve_node(Core::ReadonlyBytes bytes, Core::u64 transaction, bool& unmount)
{
    s_node_reply.status = 0;
    s_node_reply.attributes = {};
    s_node_reply.statistics = {};
    (void)s_node_reply.text.assign(Core::ReadonlyBytes());
    bool replied = false;
    if (Core::Ipc::decode_into(bytes, {}, s_node_request).is_error()) {
        s_node_reply.status = status_of(ErrorCode::Malformed);
    } else {
        auto result = perform_node(s_node_request.message, transaction, replied, unmount);
        if (result.is_error())
            s_node_reply.status = status_from(result.error());
    }
    if (!replied)
        send_reply(s_state.node_channel, s_node_reply, transaction);
}

// ---- The file protocol --------------------------------------------------------------------

bool visit_entry(void* context, Core::u64 node, NodeType type, Core::StringView name)
{
    auto& data = *static_cast<Core::usize*>(context);
    Core::usize needed = sizeof(DirectoryRecord) + name.length();
    if (name.length() == 0 || name.length() > maximum_name || data + needed > maximum_transfer)
        return false;
    static_assert(sizeof(DirectoryRecord) <= 16);
    DirectoryRecord record { node, static_cast<Core::u8>(type), static_cast<Core::u8>(name.length()) };
    memcpy(s_message + data, &record, sizeof(record));
    memcpy(s_message + data + sizeof(record), name.characters(), name.length());
    data += needed;
    return true;
}

Core::Result<void> perform_file(OpenFile& file, const FileRequest& request)
{
    Backend& backend = *s_state.backend;
    bool readable = (file.flags & OpenFlag::read) != 0;
    bool writable = (file.flags & OpenFlag::write) != 0;
    switch (request.operation) {
    case FileOperation::Read:
    case FileOperation::ReadAt: {
        if (!readable)
            return ErrorCode::AccessDenied;
        if (file.type == NodeType::Directory)
            return ErrorCode::IsADirectory;
        if (request.operation == FileOperation::ReadAt && request.offset < 0)
            return ErrorCode::InvalidArgument;
        Core::u64 offset
            = request.operation == FileOperation::Read ? file.offset : static_cast<Core::u64>(request.offset);
        Core::u32 count = request.count < maximum_transfer ? request.count : maximum_transfer;
        // s_message holds the request, already decoded: its bytes are free for the data.
        Core::usize done = TRY(backend.read(file.node, offset, Core::Bytes(s_message, count)));
        TRY(s_file_reply.data.assign(Core::ReadonlyBytes(s_message, done)));
        if (request.operation == FileOperation::Read)
            file.offset += done;
        s_file_reply.value = done;
        return {};
    }
    case FileOperation::Write:
    case FileOperation::WriteAt: {
        if (!writable)
            return ErrorCode::AccessDenied;
        if (request.operation == FileOperation::WriteAt && request.offset < 0)
            return ErrorCode::InvalidArgument;
        Core::u64 offset = request.operation == FileOperation::Write ? file.offset
                                                                     : static_cast<Core::u64>(request.offset);
        if (file.flags & OpenFlag::append) {
            Attributes attributes = TRY(backend.attributes(file.node));
            offset = attributes.size;
        }
        TRY(backend.write(file.node, offset, request.data.bytes()));
        if (request.operation == FileOperation::Write)
            file.offset = offset + request.data.length();
        s_file_reply.value = request.data.length();
        return {};
    }
    case FileOperation::Seek: {
        Core::i64 base = 0;
        if (request.whence == 1) {
            base = static_cast<Core::i64>(file.offset);
        } else if (request.whence == 2) {
            Attributes attributes = TRY(backend.attributes(file.node));
            base = static_cast<Core::i64>(attributes.size);
        } else if (request.whence != 0) {
            return ErrorCode::InvalidArgument;
        }
        if ((request.offset < 0 && -request.offset > base)
            || (request.offset > 0 && base > INT64_MAX - request.offset))
            return ErrorCode::InvalidArgument;
        file.offset = static_cast<Core::u64>(base + request.offset);
        s_file_reply.value = file.offset;
        return {};
    }
    case FileOperation::GetAttributes: {
        Attributes attributes = TRY(backend.attributes(file.node));
        s_file_reply.attributes = pack(attributes);
        return {};
    }
    case FileOperation::Truncate:
        if (!writable)
            return ErrorCode::AccessDenied;
        if (file.type != NodeType::Regular)
            return ErrorCode::InvalidArgument;
        return backend.truncate(file.node, request.value);
    case FileOperation::Sync:
        if (backend.read_only())
            return {};
        return backend.sync(false);
    case FileOperation::ReadDirectory: {
        if (file.type != NodeType::Directory)
            return ErrorCode::NotADirectory;
        if (request.offset < 0)
            return ErrorCode::InvalidArgument;
        Core::usize used = 0;
        Core::u64 next = TRY(
            backend.read_directory(file.node, static_cast<Core::u64>(request.offset), visit_entry, &used));
        TRY(s_file_reply.data.assign(Core::ReadonlyBytes(s_message, used)));
        s_file_reply.value = next;
        return {};
    }
    }
    return ErrorCode::InvalidArgument;
}

void serve_file(OpenFile& file, Core::ReadonlyBytes bytes, Core::u64 transaction)
{
    s_file_reply.status = 0;
    s_file_reply.value = 0;
    s_file_reply.attributes = {};
    (void)s_file_reply.data.assign(Core::ReadonlyBytes());
    if (Core::Ipc::decode_into(bytes, {}, s_file_request).is_error()) {
        s_file_reply.status = status_of(ErrorCode::Malformed);
    } else {
        auto result = perform_file(file, s_file_request.message);
        if (result.is_error()) {
            s_file_reply.status = status_from(result.error());
            (void)s_file_reply.data.assign(Core::ReadonlyBytes());
        }
    }
    send_reply(file.channel, s_file_reply, transaction);
}

// ---- The loop -------------------------------------------------------------------------------

enum class Drained { Empty, PeerClosed };

// Reads every message queued on `channel` and hands each to `handle(bytes, transaction)`;
// handles a message carries are closed (no request carries any). Stops when the queue is
// empty or the other end closed (with nothing left).
template<typename Handle> Drained drain(Core::u32 channel, Handle handle)
{
    for (;;) {
        Core::u32 handles[ABI::channel_maximum_message_handles];
        ABI::ChannelReadBuffer buffer { reinterpret_cast<Core::u64>(s_message), sizeof(s_message),
            reinterpret_cast<Core::u64>(handles), ABI::channel_maximum_message_handles, 0, 0 };
        Core::i64 result = System::channel_read(channel, &buffer);
        if (result == System::failure(ABI::ErrorCode::WouldBlock))
            return Drained::Empty;
        if (result != 0)
            return Drained::PeerClosed;
        for (Core::u64 index = 0; index < buffer.handle_count; ++index)
            (void)System::handle_close(handles[index]);
        Core::ReadonlyBytes bytes(s_message, buffer.byte_count);
        auto header = Core::Ipc::read_header(bytes, buffer.handle_count);
        // A message that is not a request gets nothing back: there is nobody to answer.
        if (header.is_error() || header.value().transaction_id == 0 || (header.value().flags & 1))
            continue;
        if (!handle(bytes, header.value().transaction_id))
            return Drained::Empty;
    }
}

} // namespace

Core::i64 current_time()
{
    return static_cast<Core::i64>(System::clock_wall());
}

int serve(Backend& backend, Core::u32 node_channel)
{
    s_state.backend = &backend;
    s_state.node_channel = node_channel;
    Core::i64 port = System::port_create();
    if (port < 0)
        return 3;
    s_state.port = static_cast<Core::u32>(port);
    if (!bind(node_channel, node_channel_key))
        return 3;
    for (;;) {
        ABI::PortPacket packet {};
        // Changes waiting in memory go to the device after a second without requests.
        Core::u64 deadline
            = backend.has_unwritten_changes() ? System::clock_monotonic() + idle_sync_ns : ABI::no_deadline;
        Core::i64 waited = System::port_wait(s_state.port, &packet, deadline);
        if (waited == System::failure(ABI::ErrorCode::TimedOut)) {
            (void)backend.sync(false);
            continue;
        }
        if (waited != 0)
            return 3;
        if (packet.key == node_channel_key) {
            bool unmount = false;
            Drained drained = drain(node_channel, [&](Core::ReadonlyBytes bytes, Core::u64 transaction) {
                serve_node(bytes, transaction, unmount);
                return !unmount;
            });
            if (unmount)
                return 0;
            if (drained == Drained::PeerClosed) {
                if (!backend.read_only())
                    (void)backend.sync(false);
                return 1;
            }
            if (!bind(node_channel, node_channel_key))
                return 3;
            continue;
        }
        if (packet.key == 0 || packet.key > maximum_open_files)
            continue;
        OpenFile& file = s_state.files[packet.key - 1];
        if (!file.used)
            continue;
        Drained drained = drain(file.channel, [&](Core::ReadonlyBytes bytes, Core::u64 transaction) {
            serve_file(file, bytes, transaction);
            return true;
        });
        if (drained == Drained::PeerClosed || !bind(file.channel, packet.key))
            close_file(file);
    }
}

} // namespace FileSystem
