#include <Core/Ipc/Schema.h>
#include <Userland/LibC/Files.h>
#include <Userland/LibC/Lock.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Startup.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/FileSystem/Call.h>
#include <Userland/Services/FileSystem/DirectoryRecords.h>

namespace LibC {

namespace {

using FileSystem::Attributes;
using FileSystem::PathOperation;

// One call at a time: the requests and replies are large (a transfer each) and static.
constinit FutexLock s_lock;
uint32_t s_namespace;
bool s_namespace_known;
uint8_t s_request_bytes[ABI::channel_maximum_message_bytes];
uint8_t s_reply_bytes[ABI::channel_maximum_message_bytes];
// The requests are made on first use: as statics with their default values (an operation
// that is not 0) they would be initialized data, 40 KiB in every program's file.
template<typename Message> Message& made_on_first_use()
{
    alignas(Message) static Core::u8 storage[sizeof(Message)];
    static Message* made;
    if (!made)
        made = new (storage) Message();
    return *made;
}
FileSystem::PathRequest& path_request()
{
    return made_on_first_use<FileSystem::PathRequest>();
}
FileSystem::FileRequest& file_request()
{
    return made_on_first_use<FileSystem::FileRequest>();
}
Core::Ipc::Received<FileSystem::PathReply> s_path_reply;
Core::Ipc::Received<FileSystem::FileReply> s_file_reply;
char s_path[FileSystem::maximum_path + 1];
char s_second[FileSystem::maximum_path + 1];

uint32_t namespace_handle()
{
    if (!s_namespace_known) {
        s_namespace_known = true;
        const StartupHandle* role = startup_handle(HandleRole::Namespace);
        s_namespace = role ? role->handle : 0;
    }
    return s_namespace;
}

Core::ReadonlyBytes bytes_of(const char* text)
{
    return { reinterpret_cast<const Core::u8*>(text), LibC::strlen(text) };
}

void reset_path_request(PathOperation operation)
{
    path_request().operation = operation;
    (void)path_request().path.assign({});
    (void)path_request().second.assign({});
    (void)path_request().text_argument.assign({});
    path_request().flags = 0;
    path_request().mode = 0;
    path_request().value = 0;
    path_request().access_time = 0;
    path_request().modification_time = 0;
}

// Sends s_path_request; the reply decoded into s_path_reply. Under s_lock.
int path_call(uint32_t* opened = nullptr, Attributes* attributes = nullptr)
{
    uint32_t channel = namespace_handle();
    if (!channel)
        return -ENOSYS;
    auto called
        = FileSystem::call(channel, path_request(), Core::Bytes(s_request_bytes, sizeof(s_request_bytes)),
            Core::Bytes(s_reply_bytes, sizeof(s_reply_bytes)));
    if (called.failure != 0)
        return -EIO;
    Core::ReadonlyBytes reply(s_reply_bytes, called.reply_length);
    if (FileSystem::reply_tag(reply) == FileSystem::OpenReply::message_tag) {
        ABI::HandleValue delivered[1] = { called.handle };
        auto decoded = Core::Ipc::decode<FileSystem::OpenReply>(
            reply, Core::Span<const ABI::HandleValue>(delivered, called.handle ? 1 : 0));
        if (decoded.is_error() || !opened) {
            if (called.handle)
                (void)System::handle_close(called.handle);
            return -EIO;
        }
        *opened = called.handle;
        if (attributes)
            *attributes = FileSystem::unpack<Attributes>(decoded.value().message.attributes);
        return 0;
    }
    if (called.handle)
        (void)System::handle_close(called.handle);
    if (Core::Ipc::decode_into(reply, {}, s_path_reply).is_error())
        return -EIO;
    if (s_path_reply.message.status != 0)
        return -errno_of_status(s_path_reply.message.status);
    if (attributes)
        *attributes = FileSystem::unpack<Attributes>(s_path_reply.message.attributes);
    return 0;
}

int set_path(Core::Ipc::BoundedBytes<FileSystem::maximum_path>& field, const char* path, char* buffer)
{
    int made = absolute_path(path, buffer, FileSystem::maximum_path + 1);
    if (made < 0)
        return made;
    return field.assign(bytes_of(buffer)).is_error() ? -ENAMETOOLONG : 0;
}

// Sends s_file_request on `file`; the reply decoded into s_file_reply. Under s_lock.
int file_call(uint32_t file)
{
    auto called
        = FileSystem::call(file, file_request(), Core::Bytes(s_request_bytes, sizeof(s_request_bytes)),
            Core::Bytes(s_reply_bytes, sizeof(s_reply_bytes)));
    if (called.failure != 0)
        return called.failure == System::failure(ABI::ErrorCode::BadHandle)
                || called.failure == System::failure(ABI::ErrorCode::WrongType)
            ? -EBADF
            : -EIO;
    if (called.handle)
        (void)System::handle_close(called.handle);
    if (Core::Ipc::decode_into(Core::ReadonlyBytes(s_reply_bytes, called.reply_length), {}, s_file_reply)
            .is_error())
        return -EIO;
    if (s_file_reply.message.status != 0)
        return -errno_of_status(s_file_reply.message.status);
    return 0;
}

void reset_file_request(FileSystem::FileOperation operation)
{
    file_request().operation = operation;
    file_request().offset = 0;
    file_request().whence = 0;
    file_request().count = 0;
    file_request().value = 0;
    (void)file_request().data.assign({});
}

} // namespace

namespace {
uint32_t s_mode_mask = 022;
}

uint32_t file_mode_mask()
{
    return s_mode_mask;
}

uint32_t set_file_mode_mask(uint32_t mask)
{
    uint32_t old = s_mode_mask;
    s_mode_mask = mask;
    return old;
}

bool files_available()
{
    return namespace_handle() != 0;
}

uint32_t namespace_channel()
{
    return namespace_handle();
}

void set_namespace_channel(uint32_t channel)
{
    FutexLocker locker(s_lock);
    uint32_t old = namespace_handle();
    s_namespace = channel;
    if (old && old != channel)
        (void)System::handle_close(old);
}

int errno_of_status(uint32_t status)
{
    switch (static_cast<ABI::ErrorCode>(status)) {
    case ABI::ErrorCode::NotFound:
        return ENOENT;
    case ABI::ErrorCode::AccessDenied:
        return EBADF;
    case ABI::ErrorCode::AlreadyExists:
        return EEXIST;
    case ABI::ErrorCode::NotADirectory:
        return ENOTDIR;
    case ABI::ErrorCode::IsADirectory:
        return EISDIR;
    case ABI::ErrorCode::SymlinkLoop:
        return ELOOP;
    case ABI::ErrorCode::NotEmpty:
        return ENOTEMPTY;
    case ABI::ErrorCode::ReadOnlyFileSystem:
        return EROFS;
    case ABI::ErrorCode::CrossDevice:
        return EXDEV;
    case ABI::ErrorCode::NoSpace:
        return ENOSPC;
    case ABI::ErrorCode::NameTooLong:
        return ENAMETOOLONG;
    case ABI::ErrorCode::InvalidArgument:
        return EINVAL;
    case ABI::ErrorCode::Malformed:
        // A damaged volume (or a reply that made no sense): as Linux says it.
        return EIO;
    case ABI::ErrorCode::IoError:
        return EIO;
    case ABI::ErrorCode::Busy:
        return EBUSY;
    case ABI::ErrorCode::OutOfMemory:
        return ENOMEM;
    case ABI::ErrorCode::OutOfRange:
        return ENFILE;
    case ABI::ErrorCode::NotSupported:
        return ENODEV;
    default:
        return EIO;
    }
}

int absolute_path(const char* path, char* output, size_t capacity)
{
    if (!path || !*path)
        return -ENOENT;
    size_t length = LibC::strlen(path);
    if (path[0] == '/') {
        if (length + 1 > capacity)
            return -ENAMETOOLONG;
        LibC::memcpy(output, path, length + 1);
        return 0;
    }
    const char* directory = working_directory();
    size_t directory_length = LibC::strlen(directory);
    bool slash = directory_length > 0 && directory[directory_length - 1] == '/';
    if (directory_length + (slash ? 0 : 1) + length + 1 > capacity)
        return -ENAMETOOLONG;
    LibC::memcpy(output, directory, directory_length);
    if (!slash)
        output[directory_length++] = '/';
    LibC::memcpy(output + directory_length, path, length + 1);
    return 0;
}

int path_stat(const char* path, bool follow, Attributes& attributes)
{
    FutexLocker locker(s_lock);
    reset_path_request(follow ? PathOperation::Stat : PathOperation::StatLink);
    int result = set_path(path_request().path, path, s_path);
    return result < 0 ? result : path_call(nullptr, &attributes);
}

int path_open(const char* path, uint32_t flags, uint32_t mode, uint32_t& file, Attributes& attributes)
{
    FutexLocker locker(s_lock);
    reset_path_request(PathOperation::Open);
    int result = set_path(path_request().path, path, s_path);
    if (result < 0)
        return result;
    path_request().flags = flags;
    path_request().mode = mode;
    file = 0;
    result = path_call(&file, &attributes);
    if (result == 0 && file == 0)
        return -EIO;
    return result;
}

namespace {

int simple_path_call(
    PathOperation operation, const char* path, const char* second = nullptr, uint32_t mode = 0)
{
    FutexLocker locker(s_lock);
    reset_path_request(operation);
    int result = set_path(path_request().path, path, s_path);
    if (result < 0)
        return result;
    if (second) {
        result = set_path(path_request().second, second, s_second);
        if (result < 0)
            return result;
    }
    path_request().mode = mode;
    return path_call();
}

} // namespace

int path_make_directory(const char* path, uint32_t mode)
{
    return simple_path_call(PathOperation::MakeDirectory, path, nullptr, mode);
}

int path_remove(const char* path, bool directory)
{
    return simple_path_call(directory ? PathOperation::RemoveDirectory : PathOperation::RemoveFile, path);
}

int path_rename(const char* from, const char* to)
{
    return simple_path_call(PathOperation::Rename, from, to);
}

int path_symlink(const char* target, const char* link)
{
    FutexLocker locker(s_lock);
    reset_path_request(PathOperation::MakeSymlink);
    int result = set_path(path_request().path, link, s_path);
    if (result < 0)
        return result;
    // The target is kept as given: a relative link is relative to its directory.
    if (!target || !*target)
        return -ENOENT;
    if (path_request().second.assign(bytes_of(target)).is_error())
        return -ENAMETOOLONG;
    return path_call();
}

int64_t path_read_link(const char* path, char* buffer, size_t capacity)
{
    FutexLocker locker(s_lock);
    reset_path_request(PathOperation::ReadLink);
    int result = set_path(path_request().path, path, s_path);
    if (result < 0)
        return result;
    result = path_call();
    if (result < 0)
        return result;
    size_t length = s_path_reply.message.text.length();
    size_t copied = length < capacity ? length : capacity;
    LibC::memcpy(buffer, s_path_reply.message.text.bytes().data(), copied);
    if (copied < capacity)
        buffer[copied] = 0;
    return static_cast<int64_t>(copied);
}

int path_set_mode(const char* path, uint32_t mode)
{
    return simple_path_call(PathOperation::SetMode, path, nullptr, mode);
}

int path_set_times(const char* path, int64_t access_time, int64_t modification_time)
{
    FutexLocker locker(s_lock);
    reset_path_request(PathOperation::SetTimes);
    int result = set_path(path_request().path, path, s_path);
    if (result < 0)
        return result;
    path_request().access_time = access_time;
    path_request().modification_time = modification_time;
    return path_call();
}

int path_truncate(const char* path, uint64_t size)
{
    FutexLocker locker(s_lock);
    reset_path_request(PathOperation::Truncate);
    int result = set_path(path_request().path, path, s_path);
    if (result < 0)
        return result;
    path_request().value = size;
    return path_call();
}

int path_mount(const char* source, const char* target, const char* type, uint32_t flags)
{
    FutexLocker locker(s_lock);
    reset_path_request(PathOperation::Mount);
    int result = set_path(path_request().path, target, s_path);
    if (result < 0)
        return result;
    if (!source || !*source || path_request().second.assign(bytes_of(source)).is_error())
        return -EINVAL;
    if (type && path_request().text_argument.assign(bytes_of(type)).is_error())
        return -ENODEV;
    path_request().flags = flags;
    return path_call();
}

int path_unmount(const char* target)
{
    return simple_path_call(PathOperation::Unmount, target);
}

int file_systems_sync()
{
    FutexLocker locker(s_lock);
    reset_path_request(PathOperation::Sync);
    (void)path_request().path.assign(bytes_of("/"));
    return path_call();
}

int list_mounts(FileSystem::MountRecord* records, int capacity)
{
    FutexLocker locker(s_lock);
    uint32_t channel = namespace_handle();
    if (!channel)
        return -ENOSYS;
    auto called = FileSystem::call(channel, FileSystem::ListMountsRequest {},
        Core::Bytes(s_request_bytes, sizeof(s_request_bytes)),
        Core::Bytes(s_reply_bytes, sizeof(s_reply_bytes)));
    if (called.failure != 0)
        return -EIO;
    if (called.handle)
        (void)System::handle_close(called.handle);
    static Core::Ipc::Received<FileSystem::MountList> list;
    if (Core::Ipc::decode_into(Core::ReadonlyBytes(s_reply_bytes, called.reply_length), {}, list).is_error()
        || list.message.records.length() % sizeof(FileSystem::MountRecord) != 0)
        return -EIO;
    int count = static_cast<int>(list.message.records.length() / sizeof(FileSystem::MountRecord));
    if (count > capacity)
        count = capacity;
    LibC::memcpy(
        records, list.message.records.bytes().data(), static_cast<size_t>(count) * sizeof(records[0]));
    for (int index = 0; index < count; ++index) {
        records[index].mount_point[sizeof(records[index].mount_point) - 1] = 0;
        records[index].source[sizeof(records[index].source) - 1] = 0;
        records[index].type[sizeof(records[index].type) - 1] = 0;
    }
    return count;
}

int64_t clone_namespace()
{
    FutexLocker locker(s_lock);
    uint32_t channel = namespace_handle();
    if (!channel)
        return -ENOSYS;
    auto called = FileSystem::call(channel, FileSystem::CloneNamespaceRequest {},
        Core::Bytes(s_request_bytes, sizeof(s_request_bytes)),
        Core::Bytes(s_reply_bytes, sizeof(s_reply_bytes)));
    if (called.failure != 0)
        return -EIO;
    Core::ReadonlyBytes reply(s_reply_bytes, called.reply_length);
    ABI::HandleValue delivered[1] = { called.handle };
    auto decoded = Core::Ipc::decode<FileSystem::CloneNamespaceReply>(
        reply, Core::Span<const ABI::HandleValue>(delivered, called.handle ? 1 : 0));
    if (decoded.is_error()) {
        if (called.handle)
            (void)System::handle_close(called.handle);
        if (!Core::Ipc::decode_into(reply, {}, s_path_reply).is_error() && s_path_reply.message.status != 0)
            return -errno_of_status(s_path_reply.message.status);
        return -EIO;
    }
    return called.handle;
}

namespace {

// Reads into `buffer` in requests of at most maximum_transfer bytes until `count` are read or
// a reply comes short (the end of the file): at the channel's offset, or at `offset` (pread).
int64_t read_in_pieces(uint32_t file, void* buffer, size_t count, const uint64_t* offset)
{
    size_t done = 0;
    while (done < count) {
        FutexLocker locker(s_lock);
        reset_file_request(offset ? FileSystem::FileOperation::ReadAt : FileSystem::FileOperation::Read);
        size_t step
            = count - done < FileSystem::maximum_transfer ? count - done : FileSystem::maximum_transfer;
        file_request().count = static_cast<uint32_t>(step);
        if (offset)
            file_request().offset = static_cast<int64_t>(*offset + done);
        int result = file_call(file);
        if (result < 0)
            return done ? static_cast<int64_t>(done) : result;
        size_t got = s_file_reply.message.data.length();
        if (got > step)
            return -EIO;
        LibC::memcpy(static_cast<uint8_t*>(buffer) + done, s_file_reply.message.data.bytes().data(), got);
        done += got;
        if (got < step)
            break;
    }
    return static_cast<int64_t>(done);
}

// Writes `bytes` in requests of at most maximum_transfer bytes: at the channel's offset (or
// the end, for a file opened to append), or at `offset` (pwrite). What was written before a
// failure counts.
int64_t write_in_pieces(uint32_t file, const void* bytes, size_t count, const uint64_t* offset)
{
    size_t done = 0;
    while (done < count) {
        FutexLocker locker(s_lock);
        reset_file_request(offset ? FileSystem::FileOperation::WriteAt : FileSystem::FileOperation::Write);
        size_t step
            = count - done < FileSystem::maximum_transfer ? count - done : FileSystem::maximum_transfer;
        (void)file_request().data.assign({ static_cast<const uint8_t*>(bytes) + done, step });
        if (offset)
            file_request().offset = static_cast<int64_t>(*offset + done);
        int result = file_call(file);
        if (result < 0)
            return done ? static_cast<int64_t>(done) : result;
        done += step;
    }
    return static_cast<int64_t>(done);
}

} // namespace

int64_t file_read(uint32_t file, void* buffer, size_t count)
{
    return read_in_pieces(file, buffer, count, nullptr);
}

int64_t file_write(uint32_t file, const void* bytes, size_t count)
{
    return write_in_pieces(file, bytes, count, nullptr);
}

int64_t file_read_at(uint32_t file, void* buffer, size_t count, uint64_t offset)
{
    return read_in_pieces(file, buffer, count, &offset);
}

int64_t file_write_at(uint32_t file, const void* bytes, size_t count, uint64_t offset)
{
    return write_in_pieces(file, bytes, count, &offset);
}

int64_t file_seek(uint32_t file, int64_t offset, int whence)
{
    FutexLocker locker(s_lock);
    reset_file_request(FileSystem::FileOperation::Seek);
    if (whence < 0 || whence > 2)
        return -EINVAL;
    file_request().offset = offset;
    file_request().whence = static_cast<uint8_t>(whence);
    int result = file_call(file);
    return result < 0 ? result : static_cast<int64_t>(s_file_reply.message.value);
}

int file_attributes(uint32_t file, Attributes& attributes)
{
    FutexLocker locker(s_lock);
    reset_file_request(FileSystem::FileOperation::GetAttributes);
    int result = file_call(file);
    if (result == 0)
        attributes = FileSystem::unpack<Attributes>(s_file_reply.message.attributes);
    return result;
}

int file_truncate(uint32_t file, uint64_t size)
{
    FutexLocker locker(s_lock);
    reset_file_request(FileSystem::FileOperation::Truncate);
    file_request().value = size;
    return file_call(file);
}

int file_sync(uint32_t file)
{
    FutexLocker locker(s_lock);
    reset_file_request(FileSystem::FileOperation::Sync);
    return file_call(file);
}

int64_t file_read_directory(uint32_t file, uint64_t position,
    void (*visit)(void* context, const char* name, size_t name_length, uint8_t type), void* context)
{
    FutexLocker locker(s_lock);
    reset_file_request(FileSystem::FileOperation::ReadDirectory);
    file_request().offset = static_cast<int64_t>(position);
    int result = file_call(file);
    if (result < 0)
        return result;
    Core::ReadonlyBytes records = s_file_reply.message.data.bytes();
    if (records.size() == 0)
        return 0;
    bool whole
        = FileSystem::parse_directory_records(records, [&](uint64_t, uint8_t type, Core::StringView name) {
              char terminated[FileSystem::maximum_name + 1];
              LibC::memcpy(terminated, name.characters(), name.length());
              terminated[name.length()] = 0;
              visit(context, terminated, name.length(), type);
          });
    if (!whole)
        return -EIO;
    return static_cast<int64_t>(s_file_reply.message.value);
}

} // namespace LibC
