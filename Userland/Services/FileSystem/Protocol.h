#pragma once

// The file system protocols (docs/filesystems.md#protocols), in the typed schema of
// Core/Ipc. Three channels, three protocols:
//
//   - the namespace protocol: a program and the VFS service. Paths go in; the VFS resolves
//     them through its mount table and answers, or hands back an open file's channel;
//   - the node protocol: the VFS and a file system service (initramfs, tmpfs, ext2, FAT).
//     Nodes by number, names one component at a time;
//   - the file protocol: a program and the file system service that serves one open file
//     or directory. The channel is the capability: whoever holds it can do what it was
//     opened for, and nothing else.
//
// Paths and names are bytes (a file system's names need not be UTF-8); the services refuse
// a NUL in them. Statuses are ABI::ErrorCode values, 0 for success.

#include <ABI/ErrorCode.h>
#include <Core/Ipc/Schema.h>
#include <Core/Types.h>

namespace FileSystem {

namespace Ipc = Core::Ipc;
namespace Field = Core::Ipc::Field;

inline constexpr Core::u32 namespace_protocol_id = 0x00060001;
inline constexpr Core::u32 node_protocol_id = 0x00070001;
inline constexpr Core::u32 file_protocol_id = 0x00080001;

inline constexpr Core::u32 maximum_path = 4096;
inline constexpr Core::u32 maximum_name = 255;
// The most bytes one read or write moves.
inline constexpr Core::u32 maximum_transfer = 32 * 1024;
// How many symbolic links one path resolution follows (Linux's limit).
inline constexpr Core::u32 symlink_limit = 40;

enum class NodeType : Core::u8 {
    Regular = 1,
    Directory = 2,
    Symlink = 3,
};

// What a file system says about a node. Carried as fixed bytes: every bit pattern decodes,
// and a receiver checks `type` before it believes it (valid_type).
struct Attributes {
    Core::u64 node { 0 }; // the file system's number for it (an inode number)
    Core::u64 size { 0 };
    Core::u64 blocks { 0 }; // 512-byte units held
    Core::i64 access_time { 0 }; // Unix seconds
    Core::i64 modification_time { 0 };
    Core::i64 change_time { 0 };
    Core::u32 mode { 0 }; // permission bits, 07777
    Core::u32 links { 0 };
    Core::u32 user_id { 0 };
    Core::u32 group_id { 0 };
    Core::u32 block_size { 0 }; // the preferred I/O size
    Core::u32 device { 0 }; // the mount's number (set by the VFS)
    Core::u8 type { 0 }; // NodeType
    Core::u8 reserved[7] {};
};
static_assert(sizeof(Attributes) == 80, "Attributes travel as bytes");
using AttributeBytes = Ipc::FixedBytes<sizeof(Attributes)>;

[[nodiscard]] constexpr bool valid_type(Core::u8 type)
{
    return type >= 1 && type <= 3;
}

// Attributes and Statistics are plain integers: their bytes are their layout on both ends
// (the same compiler, little-endian).
template<typename Plain> [[nodiscard]] Ipc::FixedBytes<sizeof(Plain)> pack(const Plain& value)
{
    Ipc::FixedBytes<sizeof(Plain)> bytes;
    __builtin_memcpy(bytes.bytes, &value, sizeof(Plain));
    return bytes;
}
template<typename Plain> [[nodiscard]] Plain unpack(const Ipc::FixedBytes<sizeof(Plain)>& bytes)
{
    Plain value;
    __builtin_memcpy(&value, bytes.bytes, sizeof(Plain));
    return value;
}

// A file system's totals, for df (statvfs).
struct Statistics {
    Core::u64 total_blocks { 0 };
    Core::u64 free_blocks { 0 };
    Core::u64 total_nodes { 0 };
    Core::u64 free_nodes { 0 };
    Core::u32 block_size { 0 };
    Core::u32 maximum_name { 0 };
    Core::u8 read_only { 0 };
    Core::u8 reserved[7] {};
};
static_assert(sizeof(Statistics) == 48, "Statistics travel as bytes");
using StatisticsBytes = Ipc::FixedBytes<sizeof(Statistics)>;

// One directory entry in a ReadDirectory reply: this header, then the name's bytes.
struct DirectoryRecord {
    Core::u64 node;
    Core::u8 type; // NodeType
    Core::u8 name_length; // 1 to 255
} __attribute__((packed));
static_assert(sizeof(DirectoryRecord) == 10, "DirectoryRecord travels as bytes");

// Open flags (both protocols). The access mode is what the file channel allows.
namespace OpenFlag {
inline constexpr Core::u32 read = 1u << 0;
inline constexpr Core::u32 write = 1u << 1;
inline constexpr Core::u32 create = 1u << 2; // create a regular file when the name is free
inline constexpr Core::u32 exclusive = 1u << 3; // with create: AlreadyExists when it is taken
inline constexpr Core::u32 truncate = 1u << 4; // a regular file opened for writing starts empty
inline constexpr Core::u32 append = 1u << 5; // every write goes at the end
inline constexpr Core::u32 directory = 1u << 6; // NotADirectory unless it is one
inline constexpr Core::u32 no_follow = 1u << 7; // the last component's symbolic link is not followed
inline constexpr Core::u32 known = (1u << 8) - 1;
} // namespace OpenFlag

// Mount flags.
namespace MountFlag {
inline constexpr Core::u32 read_only = 1u << 0;
inline constexpr Core::u32 known = read_only;
} // namespace MountFlag

// ---- The namespace protocol: a program and the VFS ---------------------------------------

enum class PathOperation : Core::u8 {
    // path, flags (OpenFlag), mode: OpenReply, or PathReply with an error.
    Open = 1,
    // path: PathReply with the attributes (Stat follows a last symbolic link, StatLink not).
    Stat = 2,
    StatLink = 3,
    // path, mode.
    MakeDirectory = 4,
    // path: a file or link (IsADirectory for a directory) / an empty directory.
    RemoveFile = 5,
    RemoveDirectory = 6,
    // path: PathReply with the target in `text`.
    ReadLink = 7,
    // path (the new link), second (its target).
    MakeSymlink = 8,
    // path (from), second (to).
    Rename = 9,
    // path (the mount point), second (the source: a block device's name, or "tmpfs"),
    // text_argument (the type: "ext2", "fat", "tmpfs", or empty to detect), flags (MountFlag).
    Mount = 10,
    // path (a mount point).
    Unmount = 11,
    // path, mode (permission bits).
    SetMode = 12,
    // path, times (access, modification).
    SetTimes = 13,
    // path, value (the new size).
    Truncate = 14,
    // Every mounted file system's changes to its device, flushed.
    Sync = 15,
};

struct PathRequest {
    static constexpr Core::u32 protocol_id = namespace_protocol_id;
    static constexpr Core::u16 message_tag = 1;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    PathOperation operation { PathOperation::Stat };
    Ipc::BoundedBytes<maximum_path> path;
    Ipc::BoundedBytes<maximum_path> second;
    Ipc::BoundedBytes<16> text_argument;
    Core::u32 flags { 0 };
    Core::u32 mode { 0 };
    Core::u64 value { 0 };
    Core::i64 access_time { 0 };
    Core::i64 modification_time { 0 };

    using Fields = Ipc::FieldList<
        Field::Enumeration<&PathRequest::operation, PathOperation::Open, PathOperation::Stat,
            PathOperation::StatLink, PathOperation::MakeDirectory, PathOperation::RemoveFile,
            PathOperation::RemoveDirectory, PathOperation::ReadLink, PathOperation::MakeSymlink,
            PathOperation::Rename, PathOperation::Mount, PathOperation::Unmount, PathOperation::SetMode,
            PathOperation::SetTimes, PathOperation::Truncate, PathOperation::Sync>,
        Field::BoundedBytes<&PathRequest::path>, Field::BoundedBytes<&PathRequest::second>,
        Field::BoundedBytes<&PathRequest::text_argument>, Field::Integer<&PathRequest::flags>,
        Field::Integer<&PathRequest::mode>, Field::Integer<&PathRequest::value>,
        Field::Integer<&PathRequest::access_time>, Field::Integer<&PathRequest::modification_time>>;
};

struct PathReply {
    static constexpr Core::u32 protocol_id = namespace_protocol_id;
    static constexpr Core::u16 message_tag = 2;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    Core::u16 status { 0 }; // ABI::ErrorCode, 0 for success
    AttributeBytes attributes;
    Ipc::BoundedBytes<maximum_path> text;

    using Fields = Ipc::FieldList<Field::Integer<&PathReply::status>,
        Field::FixedBytes<&PathReply::attributes>, Field::BoundedBytes<&PathReply::text>>;
};

// A successful Open: the file's channel (file protocol), and what it is.
struct OpenReply {
    static constexpr Core::u32 protocol_id = namespace_protocol_id;
    static constexpr Core::u16 message_tag = 3;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    AttributeBytes attributes;
    Ipc::Handle file;

    using Fields = Ipc::FieldList<Field::FixedBytes<&OpenReply::attributes>, Field::Handle<&OpenReply::file>>;
};

struct ListMountsRequest {
    static constexpr Core::u32 protocol_id = namespace_protocol_id;
    static constexpr Core::u16 message_tag = 4;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    using Fields = Ipc::FieldList<>;
};

// One mount of the caller's namespace, as the MountList packs it.
struct MountRecord {
    char mount_point[192];
    char source[32];
    char type[16];
    Statistics statistics;
    Core::u32 flags; // MountFlag
    Core::u32 device; // the mount's number, as Attributes::device
};
static_assert(sizeof(MountRecord) == 296, "MountRecord travels as bytes");
inline constexpr Core::u32 maximum_mounts = 64;

struct MountList {
    static constexpr Core::u32 protocol_id = namespace_protocol_id;
    static constexpr Core::u16 message_tag = 5;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    Ipc::BoundedBytes<sizeof(MountRecord) * maximum_mounts> records;

    using Fields = Ipc::FieldList<Field::BoundedBytes<&MountList::records>>;
};

// A new namespace channel whose mount table starts as a copy of the caller's: mounts made
// through one are not seen through the other (unshare).
struct CloneNamespaceRequest {
    static constexpr Core::u32 protocol_id = namespace_protocol_id;
    static constexpr Core::u16 message_tag = 6;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    using Fields = Ipc::FieldList<>;
};

struct CloneNamespaceReply {
    static constexpr Core::u32 protocol_id = namespace_protocol_id;
    static constexpr Core::u16 message_tag = 7;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    Ipc::Handle channel;

    using Fields = Ipc::FieldList<Field::Handle<&CloneNamespaceReply::channel>>;
};

// ---- The node protocol: the VFS and a file system service --------------------------------

enum class NodeOperation : Core::u8 {
    // node (a directory), name: NodeReply with the attributes of what it names.
    Lookup = 1,
    // node.
    GetAttributes = 2,
    // node (a directory), name, type, mode; other_name: a symbolic link's target.
    Create = 3,
    // node (a directory), name; flags 1: it must be a directory, 0: it must not be one.
    Remove = 4,
    // node, name (from); other, other_name (to).
    Rename = 5,
    // node: NodeReply with the target in `text`.
    ReadLink = 6,
    // node, flags (OpenFlag: read, write, append, truncate): OpenNodeReply.
    Open = 7,
    // NodeReply with `statistics`, and the root directory's attributes.
    GetStatistics = 8,
    // Everything to the device, flushed.
    Sync = 9,
    // Sync, mark the volume clean, answer, and end.
    Unmount = 10,
    // node; flags bit 0: mode is set; bit 1: the times are.
    SetAttributes = 11,
    // node, value (the size).
    Truncate = 12,
};

struct NodeRequest {
    static constexpr Core::u32 protocol_id = node_protocol_id;
    static constexpr Core::u16 message_tag = 1;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    NodeOperation operation { NodeOperation::GetAttributes };
    Core::u64 node { 0 };
    Core::u64 other { 0 };
    Ipc::BoundedBytes<maximum_name> name;
    Ipc::BoundedBytes<maximum_path> other_name;
    NodeType type { NodeType::Regular };
    Core::u32 mode { 0 };
    Core::u32 flags { 0 };
    Core::u64 value { 0 };
    Core::i64 access_time { 0 };
    Core::i64 modification_time { 0 };

    using Fields = Ipc::FieldList<
        Field::Enumeration<&NodeRequest::operation, NodeOperation::Lookup, NodeOperation::GetAttributes,
            NodeOperation::Create, NodeOperation::Remove, NodeOperation::Rename, NodeOperation::ReadLink,
            NodeOperation::Open, NodeOperation::GetStatistics, NodeOperation::Sync, NodeOperation::Unmount,
            NodeOperation::SetAttributes, NodeOperation::Truncate>,
        Field::Integer<&NodeRequest::node>, Field::Integer<&NodeRequest::other>,
        Field::BoundedBytes<&NodeRequest::name>, Field::BoundedBytes<&NodeRequest::other_name>,
        Field::Enumeration<&NodeRequest::type, NodeType::Regular, NodeType::Directory, NodeType::Symlink>,
        Field::Integer<&NodeRequest::mode>, Field::Integer<&NodeRequest::flags>,
        Field::Integer<&NodeRequest::value>, Field::Integer<&NodeRequest::access_time>,
        Field::Integer<&NodeRequest::modification_time>>;
};

struct NodeReply {
    static constexpr Core::u32 protocol_id = node_protocol_id;
    static constexpr Core::u16 message_tag = 2;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    Core::u16 status { 0 };
    AttributeBytes attributes;
    StatisticsBytes statistics;
    Ipc::BoundedBytes<maximum_path> text;

    using Fields
        = Ipc::FieldList<Field::Integer<&NodeReply::status>, Field::FixedBytes<&NodeReply::attributes>,
            Field::FixedBytes<&NodeReply::statistics>, Field::BoundedBytes<&NodeReply::text>>;
};

struct OpenNodeReply {
    static constexpr Core::u32 protocol_id = node_protocol_id;
    static constexpr Core::u16 message_tag = 3;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    AttributeBytes attributes;
    Ipc::Handle file;

    using Fields
        = Ipc::FieldList<Field::FixedBytes<&OpenNodeReply::attributes>, Field::Handle<&OpenNodeReply::file>>;
};

// ---- The file protocol: an open file's channel -------------------------------------------

enum class FileOperation : Core::u8 {
    // count: up to that many bytes from the file's offset, which moves past them.
    Read = 1,
    // data: written at the offset (at the end with append), which moves past it.
    Write = 2,
    // offset, whence (0 set, 1 current, 2 end): the new offset in `value`.
    Seek = 3,
    GetAttributes = 4,
    // value: the new size (needs write access).
    Truncate = 5,
    // The file's data and the metadata to find it on the device, flushed.
    Sync = 6,
    // A directory's entries from `offset` (0 first, then what the last reply's `value`
    // said), as DirectoryRecords; none left when `data` is empty.
    ReadDirectory = 7,
    // As Read and Write, at `offset`, leaving the file's offset alone (pread, pwrite).
    ReadAt = 8,
    WriteAt = 9,
};

struct FileRequest {
    static constexpr Core::u32 protocol_id = file_protocol_id;
    static constexpr Core::u16 message_tag = 1;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    FileOperation operation { FileOperation::Read };
    Core::i64 offset { 0 };
    Core::u8 whence { 0 };
    Core::u32 count { 0 };
    Core::u64 value { 0 };
    Ipc::BoundedBytes<maximum_transfer> data;

    using Fields = Ipc::FieldList<
        Field::Enumeration<&FileRequest::operation, FileOperation::Read, FileOperation::Write,
            FileOperation::Seek, FileOperation::GetAttributes, FileOperation::Truncate, FileOperation::Sync,
            FileOperation::ReadDirectory, FileOperation::ReadAt, FileOperation::WriteAt>,
        Field::Integer<&FileRequest::offset>, Field::Integer<&FileRequest::whence>,
        Field::Integer<&FileRequest::count>, Field::Integer<&FileRequest::value>,
        Field::BoundedBytes<&FileRequest::data>>;
};

struct FileReply {
    static constexpr Core::u32 protocol_id = file_protocol_id;
    static constexpr Core::u16 message_tag = 2;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    Core::u16 status { 0 };
    Core::u64 value { 0 }; // bytes written, the new offset, the next directory position
    AttributeBytes attributes;
    Ipc::BoundedBytes<maximum_transfer> data;

    using Fields = Ipc::FieldList<Field::Integer<&FileReply::status>, Field::Integer<&FileReply::value>,
        Field::FixedBytes<&FileReply::attributes>, Field::BoundedBytes<&FileReply::data>>;
};

// Status values as they travel.
constexpr Core::u16 status_of(ABI::ErrorCode code)
{
    return static_cast<Core::u16>(code);
}

} // namespace FileSystem
