#include <ABI/Channel.h>
#include <ABI/Rights.h>
#include <ABI/Signals.h>
#include <Userland/LibC/Descriptors.h>
#include <Userland/LibC/Files.h>
#include <Userland/LibC/LaunchBlock.h>
#include <Userland/LibC/Lock.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/fcntl.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/LibC/include/unistd.h>
#include <Userland/Runtime/System.h>

namespace LibC {

namespace {

enum class Kind : uint8_t {
    Closed,
    Stream,
    RamdiskFile,
    Null,
    // An open file's channel (the file protocol): the offset is kept by the file system
    // service, so descriptors duplicated from one open, in this program or a child, share it.
    File,
};

struct Descriptor {
    Kind kind { Kind::Closed };
    bool terminal { false };
    uint32_t terminal_modes { terminal_canonical | terminal_echo | terminal_signals };
    uint32_t handle { 0 };
    // Stream: the rest of a message that was longer than the read asked for.
    uint8_t* pending { nullptr };
    size_t pending_size { 0 };
    size_t pending_offset { 0 };
    // Terminal in canonical mode: the finished line not yet returned.
    char* line { nullptr };
    size_t line_size { 0 };
    size_t line_offset { 0 };
    // RAM disk file.
    const uint8_t* file_data { nullptr };
    size_t file_size { 0 };
    size_t file_offset { 0 };
};

Descriptor s_descriptors[maximum_descriptors];
// Guards the table's shape (which descriptors are open). Reads and writes run unlocked:
// a descriptor is used by one thread at a time, as with every C library's FILE-less I/O.
constinit FutexLock s_table_lock;

// What channel_create gives each endpoint, and every copy of a stream keeps.
constexpr ABI::Rights stream_rights
    = ABI::Right::Read | ABI::Right::Write | ABI::Right::Wait | ABI::Right::Duplicate | ABI::Right::Transfer;
constexpr size_t maximum_message = ABI::channel_maximum_message_bytes;
constexpr size_t maximum_line = 4096;

Descriptor* lookup(int descriptor)
{
    if (descriptor < 0 || descriptor >= maximum_descriptors || s_descriptors[descriptor].kind == Kind::Closed)
        return nullptr;
    return &s_descriptors[descriptor];
}

void release(Descriptor& entry)
{
    if (entry.kind == Kind::Stream || entry.kind == Kind::File)
        (void)System::handle_close(entry.handle);
    ::free(entry.pending);
    ::free(entry.line);
    entry = Descriptor {};
}

// The lowest closed descriptor at or above `lowest`, or -EMFILE. Under the table lock.
int free_slot(int lowest)
{
    for (int index = lowest < 0 ? 0 : lowest; index < maximum_descriptors; ++index) {
        if (s_descriptors[index].kind == Kind::Closed)
            return index;
    }
    return -EMFILE;
}

int errno_of(int64_t result)
{
    switch (static_cast<ABI::ErrorCode>(-result)) {
    case ABI::ErrorCode::PeerClosed:
        return EPIPE;
    case ABI::ErrorCode::BadHandle:
    case ABI::ErrorCode::WrongType:
        return EBADF;
    case ABI::ErrorCode::AccessDenied:
        return EACCES;
    case ABI::ErrorCode::OutOfMemory:
        return ENOMEM;
    case ABI::ErrorCode::BadAddress:
        return EFAULT;
    case ABI::ErrorCode::InvalidArgument:
        return EINVAL;
    case ABI::ErrorCode::NotADirectory:
        return ENOTDIR;
    case ABI::ErrorCode::SymlinkLoop:
        return ELOOP;
    case ABI::ErrorCode::NotEmpty:
        return ENOTEMPTY;
    default:
        return EIO;
    }
}

// Waits until the stream has a message or its writer is gone.
void wait_readable(uint32_t handle)
{
    (void)System::object_wait(handle,
        ABI::signal_bits(ABI::Signal::Readable) | ABI::signal_bits(ABI::Signal::PeerClosed),
        ABI::no_deadline);
}

// The next bytes of the stream, as one message gives them: at most `count`, the rest kept
// for the next read. 0 at the end (the writer closed and nothing is left).
int64_t read_stream(Descriptor& entry, void* buffer, size_t count)
{
    if (entry.pending) {
        size_t available = entry.pending_size - entry.pending_offset;
        size_t taken = available < count ? available : count;
        LibC::memcpy(buffer, entry.pending + entry.pending_offset, taken);
        entry.pending_offset += taken;
        if (entry.pending_offset == entry.pending_size) {
            ::free(entry.pending);
            entry.pending = nullptr;
        }
        return static_cast<int64_t>(taken);
    }
    if (count == 0)
        return 0;
    for (;;) {
        ABI::ChannelReadBuffer message { reinterpret_cast<uint64_t>(buffer), count, 0, 0, 0, 0 };
        int64_t result = System::channel_read(entry.handle, &message);
        if (result == 0) {
            // An empty message carries nothing: read on.
            if (message.byte_count == 0)
                continue;
            return static_cast<int64_t>(message.byte_count);
        }
        if (result == System::failure(ABI::ErrorCode::WouldBlock)) {
            wait_readable(entry.handle);
            continue;
        }
        if (result == System::failure(ABI::ErrorCode::PeerClosed))
            return 0;
        if (result != System::failure(ABI::ErrorCode::BufferTooSmall))
            return -errno_of(result);
        // Longer than asked for (or with handles, which a byte stream drops): the whole
        // message, then what the caller asked for of it.
        auto* whole = static_cast<uint8_t*>(::malloc(message.byte_count ? message.byte_count : 1));
        uint32_t handles[ABI::channel_maximum_message_handles];
        if (!whole)
            return -ENOMEM;
        ABI::ChannelReadBuffer retry { reinterpret_cast<uint64_t>(whole), message.byte_count,
            reinterpret_cast<uint64_t>(handles), ABI::channel_maximum_message_handles, 0, 0 };
        result = System::channel_read(entry.handle, &retry);
        if (result != 0) {
            ::free(whole);
            // Another reader of the same stream (a terminal is shared) took the message, or
            // a larger one came first: try again from the start.
            if (result == System::failure(ABI::ErrorCode::WouldBlock)
                || result == System::failure(ABI::ErrorCode::BufferTooSmall))
                continue;
            return -errno_of(result);
        }
        for (uint64_t index = 0; index < retry.handle_count; ++index)
            (void)System::handle_close(handles[index]);
        if (retry.byte_count == 0) {
            ::free(whole);
            continue;
        }
        size_t taken = retry.byte_count < count ? retry.byte_count : count;
        LibC::memcpy(buffer, whole, taken);
        if (taken == retry.byte_count) {
            ::free(whole);
        } else {
            entry.pending = whole;
            entry.pending_size = retry.byte_count;
            entry.pending_offset = taken;
        }
        return static_cast<int64_t>(taken);
    }
}

int64_t write_stream(uint32_t handle, const void* bytes, size_t count)
{
    size_t done = 0;
    while (done < count) {
        size_t step = count - done < maximum_message ? count - done : maximum_message;
        int64_t result = System::channel_write(handle, static_cast<const uint8_t*>(bytes) + done, step);
        if (result == 0) {
            done += step;
            continue;
        }
        if (result == System::failure(ABI::ErrorCode::WouldBlock)
            || result == System::failure(ABI::ErrorCode::TimedOut)) {
            // Full: wait for room, or for the reader to go.
            int64_t signals = System::object_wait(handle,
                ABI::signal_bits(ABI::Signal::Writable) | ABI::signal_bits(ABI::Signal::PeerClosed),
                ABI::no_deadline);
            if (signals > 0 && (signals & ABI::signal_bits(ABI::Signal::PeerClosed)))
                return done != 0 ? static_cast<int64_t>(done) : -EPIPE;
            continue;
        }
        if (done != 0)
            return static_cast<int64_t>(done);
        return -errno_of(result);
    }
    return static_cast<int64_t>(count);
}

void echo(Descriptor& entry, const char* text, size_t length)
{
    if (entry.terminal_modes & terminal_echo)
        (void)write_stream(entry.handle, text, length);
}

// Where a canonical read is in an escape sequence (the arrow keys and the like send them): a
// canonical line has no use for them, so they are skipped whole.
struct EscapeState {
    enum { None, Escape, ControlSequence } state { None };
};

// A terminal in canonical mode: reads until a whole line (or end of file) is typed, echoing
// and editing as it goes, then returns it a piece at a time.
int64_t read_terminal_line(Descriptor& entry, void* buffer, size_t count)
{
    if (entry.line && entry.line_offset < entry.line_size) {
        size_t available = entry.line_size - entry.line_offset;
        size_t taken = available < count ? available : count;
        LibC::memcpy(buffer, entry.line + entry.line_offset, taken);
        entry.line_offset += taken;
        return static_cast<int64_t>(taken);
    }
    if (!entry.line) {
        entry.line = static_cast<char*>(::malloc(maximum_line));
        if (!entry.line)
            return -ENOMEM;
    }
    entry.line_size = 0;
    entry.line_offset = 0;
    EscapeState escape;
    for (;;) {
        uint8_t input[64];
        int64_t received = read_stream(entry, input, sizeof(input));
        if (received < 0)
            return received;
        if (received == 0) {
            // The end of the stream in the middle of a line: what was typed is returned,
            // without a newline, and the next read gives the end.
            if (entry.line_size == 0)
                return 0;
            return read_terminal_line(entry, buffer, count);
        }
        for (int64_t index = 0; index < received; ++index) {
            uint8_t byte = input[index];
            if (escape.state == EscapeState::Escape) {
                escape.state = byte == '[' || byte == 'O' ? EscapeState::ControlSequence : EscapeState::None;
                continue;
            }
            if (escape.state == EscapeState::ControlSequence) {
                if (byte >= 0x40 && byte <= 0x7E)
                    escape.state = EscapeState::None;
                continue;
            }
            if (byte == 0x1B) {
                escape.state = EscapeState::Escape;
                continue;
            }
            bool finished = false;
            if (byte == '\r' || byte == '\n') {
                entry.line[entry.line_size++] = '\n';
                echo(entry, "\n", 1);
                finished = true;
            } else if (byte == 0x04) {
                // ^D: the line so far, without a newline; on an empty line, end of file.
                if (entry.line_size == 0)
                    return 0;
                finished = true;
            } else if (byte == 0x03 && (entry.terminal_modes & terminal_signals)) {
                // ^C: SIGINT's default action, which ends the program. There are no signal
                // handlers yet, so that is all it can do.
                echo(entry, "^C\n", 3);
                ::exit(130);
            } else if (byte == 0x7F || byte == 0x08) {
                // Erase one character: a UTF-8 sequence is erased whole.
                if (entry.line_size == 0)
                    continue;
                do
                    --entry.line_size;
                while (entry.line_size > 0
                    && (static_cast<uint8_t>(entry.line[entry.line_size]) & 0xC0) == 0x80);
                echo(entry, "\b \b", 3);
            } else if (byte == 0x15) {
                // ^U: erase the line.
                for (; entry.line_size > 0; --entry.line_size) {
                    if ((static_cast<uint8_t>(entry.line[entry.line_size - 1]) & 0xC0) != 0x80)
                        echo(entry, "\b \b", 3);
                }
            } else if (byte >= 0x20 || byte == '\t') {
                if (entry.line_size < maximum_line - 1) {
                    entry.line[entry.line_size++] = static_cast<char>(byte);
                    echo(entry, reinterpret_cast<const char*>(&byte), 1);
                }
            }
            if (finished) {
                // What came after the line waits for the next read.
                if (index + 1 < received) {
                    size_t rest = static_cast<size_t>(received - index - 1);
                    auto* kept
                        = static_cast<uint8_t*>(::malloc(rest + (entry.pending ? entry.pending_size : 0)));
                    if (kept) {
                        LibC::memcpy(kept, input + index + 1, rest);
                        size_t total = rest;
                        if (entry.pending) {
                            size_t old = entry.pending_size - entry.pending_offset;
                            LibC::memcpy(kept + rest, entry.pending + entry.pending_offset, old);
                            total += old;
                            ::free(entry.pending);
                        }
                        entry.pending = kept;
                        entry.pending_size = total;
                        entry.pending_offset = 0;
                    }
                }
                return read_terminal_line(entry, buffer, count);
            }
        }
    }
}

} // namespace

void install_stream(int descriptor, uint32_t handle, bool terminal)
{
    if (descriptor < 0 || descriptor >= maximum_descriptors)
        return;
    FutexLocker locker(s_table_lock);
    release(s_descriptors[descriptor]);
    s_descriptors[descriptor].kind = Kind::Stream;
    s_descriptors[descriptor].handle = handle;
    s_descriptors[descriptor].terminal = terminal;
}

void install_null(int descriptor)
{
    if (descriptor < 0 || descriptor >= maximum_descriptors)
        return;
    FutexLocker locker(s_table_lock);
    release(s_descriptors[descriptor]);
    s_descriptors[descriptor].kind = Kind::Null;
}

int64_t descriptor_read(int descriptor, void* buffer, size_t count)
{
    Descriptor* entry = lookup(descriptor);
    if (!entry)
        return -EBADF;
    switch (entry->kind) {
    case Kind::Stream:
        if (entry->terminal && (entry->terminal_modes & terminal_canonical))
            return read_terminal_line(*entry, buffer, count);
        return read_stream(*entry, buffer, count);
    case Kind::RamdiskFile: {
        size_t available = entry->file_offset < entry->file_size ? entry->file_size - entry->file_offset : 0;
        size_t taken = available < count ? available : count;
        LibC::memcpy(buffer, entry->file_data + entry->file_offset, taken);
        entry->file_offset += taken;
        return static_cast<int64_t>(taken);
    }
    case Kind::Null:
        return 0;
    case Kind::File:
        return file_read(entry->handle, buffer, count);
    case Kind::Closed:
        break;
    }
    return -EBADF;
}

int64_t descriptor_write(int descriptor, const void* bytes, size_t count)
{
    Descriptor* entry = lookup(descriptor);
    if (!entry)
        return -EBADF;
    switch (entry->kind) {
    case Kind::Stream:
        return write_stream(entry->handle, bytes, count);
    case Kind::Null:
        return static_cast<int64_t>(count);
    case Kind::File:
        return file_write(entry->handle, bytes, count);
    case Kind::RamdiskFile:
    case Kind::Closed:
        break;
    }
    return -EBADF;
}

int descriptor_close(int descriptor)
{
    FutexLocker locker(s_table_lock);
    Descriptor* entry = lookup(descriptor);
    if (!entry)
        return -EBADF;
    release(*entry);
    return 0;
}

namespace {

// Copies `source` into the closed slot `target`. Under the table lock.
int copy_descriptor(Descriptor& source, int target)
{
    Descriptor copy {};
    copy.kind = source.kind;
    copy.terminal = source.terminal;
    copy.terminal_modes = source.terminal_modes;
    copy.file_data = source.file_data;
    copy.file_size = source.file_size;
    copy.file_offset = source.file_offset;
    if (source.kind == Kind::Stream || source.kind == Kind::File) {
        int64_t handle = System::handle_duplicate(source.handle, stream_rights.raw());
        if (handle < 0)
            return -errno_of(handle);
        copy.handle = static_cast<uint32_t>(handle);
    }
    s_descriptors[target] = copy;
    return target;
}

} // namespace

int descriptor_duplicate(int descriptor, int lowest)
{
    FutexLocker locker(s_table_lock);
    Descriptor* entry = lookup(descriptor);
    if (!entry)
        return -EBADF;
    int target = free_slot(lowest);
    if (target < 0)
        return target;
    return copy_descriptor(*entry, target);
}

int descriptor_duplicate_to(int descriptor, int target)
{
    FutexLocker locker(s_table_lock);
    Descriptor* entry = lookup(descriptor);
    if (!entry || target < 0 || target >= maximum_descriptors)
        return -EBADF;
    if (descriptor == target)
        return target;
    release(s_descriptors[target]);
    return copy_descriptor(*entry, target);
}

int descriptor_pipe(int descriptors[2])
{
    uint32_t handles[2];
    int64_t created = System::channel_create(ABI::ChannelQos::Bulk, handles);
    if (created < 0)
        return -errno_of(created);
    FutexLocker locker(s_table_lock);
    int reader = free_slot(0);
    if (reader >= 0) {
        s_descriptors[reader].kind = Kind::Stream;
        s_descriptors[reader].handle = handles[0];
    }
    int writer = reader >= 0 ? free_slot(0) : -EMFILE;
    if (writer < 0) {
        if (reader >= 0)
            s_descriptors[reader] = Descriptor {};
        (void)System::handle_close(handles[0]);
        (void)System::handle_close(handles[1]);
        return -EMFILE;
    }
    s_descriptors[writer].kind = Kind::Stream;
    s_descriptors[writer].handle = handles[1];
    descriptors[0] = reader;
    descriptors[1] = writer;
    return 0;
}

int descriptor_open(const char* path, int flags, uint32_t mode)
{
    int access = flags & O_ACCMODE;
    Descriptor opened {};
    if (LibC::strcmp(path, "/dev/null") == 0) {
        opened.kind = Kind::Null;
    } else if (files_available()) {
        if (access == O_ACCMODE)
            return -EINVAL;
        uint32_t wanted = (access == O_RDONLY || access == O_RDWR ? FileSystem::OpenFlag::read : 0u)
            | (access == O_WRONLY || access == O_RDWR ? FileSystem::OpenFlag::write : 0u)
            | ((flags & O_CREAT) ? FileSystem::OpenFlag::create : 0u)
            | ((flags & O_EXCL) ? FileSystem::OpenFlag::exclusive : 0u)
            | ((flags & O_TRUNC) ? FileSystem::OpenFlag::truncate : 0u)
            | ((flags & O_APPEND) ? FileSystem::OpenFlag::append : 0u)
            | ((flags & O_DIRECTORY) ? FileSystem::OpenFlag::directory : 0u)
            | ((flags & O_NOFOLLOW) ? FileSystem::OpenFlag::no_follow : 0u);
        FileSystem::Attributes attributes;
        uint32_t file = 0;
        int result = path_open(path, wanted, mode, file, attributes);
        if (result < 0)
            return result;
        opened.kind = Kind::File;
        opened.handle = file;
    } else {
        RamdiskNode node;
        int found = ramdisk_lookup(path, node);
        if (found < 0)
            return (flags & O_CREAT) && found == -ENOENT ? -EROFS : found;
        // The RAM disk is read-only.
        if (access != O_RDONLY || (flags & O_TRUNC))
            return -EROFS;
        if (node.is_directory && !(flags & O_DIRECTORY))
            return -EISDIR;
        if (!node.is_directory && (flags & O_DIRECTORY))
            return -ENOTDIR;
        opened.kind = Kind::RamdiskFile;
        opened.file_data = node.data;
        opened.file_size = node.size;
    }
    FutexLocker locker(s_table_lock);
    int slot = free_slot(0);
    if (slot < 0) {
        if (opened.kind == Kind::File)
            (void)System::handle_close(opened.handle);
        return slot;
    }
    s_descriptors[slot] = opened;
    return slot;
}

int64_t descriptor_seek(int descriptor, int64_t offset, int whence)
{
    Descriptor* entry = lookup(descriptor);
    if (!entry)
        return -EBADF;
    if (entry->kind == Kind::Null)
        return 0;
    if (entry->kind == Kind::File)
        return file_seek(entry->handle, offset, whence);
    if (entry->kind != Kind::RamdiskFile)
        return -ESPIPE;
    int64_t base = whence == SEEK_SET ? 0
        : whence == SEEK_CUR          ? static_cast<int64_t>(entry->file_offset)
        : whence == SEEK_END          ? static_cast<int64_t>(entry->file_size)
                                      : -1;
    if (base < 0 || (offset < 0 && -offset > base))
        return -EINVAL;
    entry->file_offset = static_cast<size_t>(base + offset);
    return static_cast<int64_t>(entry->file_offset);
}

bool descriptor_is_terminal(int descriptor)
{
    Descriptor* entry = lookup(descriptor);
    return entry && entry->kind == Kind::Stream && entry->terminal;
}

int terminal_flags(int descriptor, uint32_t& flags)
{
    Descriptor* entry = lookup(descriptor);
    if (!entry)
        return -EBADF;
    if (!(entry->kind == Kind::Stream && entry->terminal))
        return -ENOTTY;
    flags = entry->terminal_modes;
    return 0;
}

int set_terminal_flags(int descriptor, uint32_t flags)
{
    Descriptor* entry = lookup(descriptor);
    if (!entry)
        return -EBADF;
    if (!(entry->kind == Kind::Stream && entry->terminal))
        return -ENOTTY;
    entry->terminal_modes = flags & (terminal_canonical | terminal_echo | terminal_signals);
    return 0;
}

int duplicate_stream_handle(int descriptor, uint32_t& handle, uint32_t& launch_flags)
{
    Descriptor* entry = lookup(descriptor);
    if (!entry)
        return -EBADF;
    if (entry->kind == Kind::Null)
        return -ENOTSUP;
    launch_flags = 0;
    if (entry->kind == Kind::File) {
        // The child gets the open file itself: the same channel, and so the same offset.
        int64_t duplicated = System::handle_duplicate(entry->handle, stream_rights.raw());
        if (duplicated < 0)
            return -errno_of(duplicated);
        handle = static_cast<uint32_t>(duplicated);
        launch_flags = launch_handle_file;
        return 0;
    }
    if (entry->kind == Kind::RamdiskFile) {
        // A child cannot reach this process's view of the file: it gets a pipe that already
        // holds the rest of the file (at most the pipe's queue, 4 MiB), closed for writing.
        uint32_t pipe[2];
        int64_t created = System::channel_create(ABI::ChannelQos::Bulk, pipe);
        if (created < 0)
            return -errno_of(created);
        size_t remaining = entry->file_offset < entry->file_size ? entry->file_size - entry->file_offset : 0;
        if (remaining > ABI::channel_queue_capacity * maximum_message) {
            (void)System::handle_close(pipe[0]);
            (void)System::handle_close(pipe[1]);
            return -E2BIG;
        }
        int64_t written = write_stream(pipe[1], entry->file_data + entry->file_offset, remaining);
        (void)System::handle_close(pipe[1]);
        if (written < 0) {
            (void)System::handle_close(pipe[0]);
            return static_cast<int>(written);
        }
        handle = pipe[0];
        return 0;
    }
    int64_t duplicated = System::handle_duplicate(entry->handle, stream_rights.raw());
    if (duplicated < 0)
        return -errno_of(duplicated);
    handle = static_cast<uint32_t>(duplicated);
    launch_flags = entry->terminal ? launch_handle_terminal : 0u;
    return 0;
}

void install_file(int descriptor, uint32_t handle)
{
    if (descriptor < 0 || descriptor >= maximum_descriptors)
        return;
    FutexLocker locker(s_table_lock);
    release(s_descriptors[descriptor]);
    s_descriptors[descriptor].kind = Kind::File;
    s_descriptors[descriptor].handle = handle;
}

int descriptor_file(int descriptor, uint32_t& handle)
{
    Descriptor* entry = lookup(descriptor);
    if (!entry)
        return -EBADF;
    if (entry->kind != Kind::File)
        return entry->kind == Kind::Stream ? -ESPIPE : -EINVAL;
    handle = entry->handle;
    return 0;
}

} // namespace LibC
