// libFuzzer target for what the file system protocols carry between processes
// (Userland/Services/FileSystem/Protocol.h): every message of the namespace, node and file
// protocols decoded from the input, and an accepted one encoded back to the same bytes; and
// the input as a ReadDirectory reply's records (DirectoryRecords.h), which the C library
// parses from a file system service. Nothing may read out of bounds (the sanitizers), and
// every name the record parser hands out must be one a path can hold.
//
// Input layout: the first byte says how many handles the channel delivered (bit 0: one, else
// none); the rest is the message, and also the records.

#include <Core/Ipc/Schema.h>
#include <Userland/Services/FileSystem/DirectoryRecords.h>
#include <Userland/Services/FileSystem/Protocol.h>
#include <stddef.h>
#include <stdint.h>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

volatile uint64_t s_checksum_sink;

template<typename Message> void check(Core::ReadonlyBytes bytes, Core::Span<const ABI::HandleValue> handles)
{
    // Large messages (a 32 KiB transfer inline) live outside the stack.
    static Core::Ipc::Received<Message> received;
    if (Core::Ipc::decode_into(bytes, handles, received).is_error())
        return;
    static uint8_t encoded_bytes[Core::Ipc::maximum_encoded_size<Message>];
    ABI::HandleValue encoded_handles[Core::Ipc::maximum_handle_count] {};
    auto encoded = Core::Ipc::encode_as_version(received.header.version, received.message,
        received.header.transaction_id, Core::Bytes(encoded_bytes, sizeof(encoded_bytes)),
        Core::Span<ABI::HandleValue>(encoded_handles, Core::Ipc::maximum_handle_count));
    require(!encoded.is_error());
    require(encoded.value().byte_count == bytes.size());
    for (size_t index = 0; index < bytes.size(); ++index)
        require(encoded_bytes[index] == bytes[index]);
    s_checksum_sink = s_checksum_sink * 31 + received.header.message_tag;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    ABI::HandleValue handle = 0x10001;
    Core::Span<const ABI::HandleValue> handles(&handle, (data[0] & 1) ? 1 : 0);
    Core::ReadonlyBytes bytes(data + 1, size - 1);
    using namespace FileSystem;
    check<PathRequest>(bytes, handles);
    check<PathReply>(bytes, handles);
    check<OpenReply>(bytes, handles);
    check<ListMountsRequest>(bytes, handles);
    check<MountList>(bytes, handles);
    check<CloneNamespaceRequest>(bytes, handles);
    check<CloneNamespaceReply>(bytes, handles);
    check<NodeRequest>(bytes, handles);
    check<NodeReply>(bytes, handles);
    check<OpenNodeReply>(bytes, handles);
    check<FileRequest>(bytes, handles);
    check<FileReply>(bytes, handles);
    size_t visited = 0;
    (void)parse_directory_records(bytes, [&](uint64_t node, uint8_t type, Core::StringView name) {
        require(name.length() >= 1 && name.length() <= maximum_name);
        for (size_t index = 0; index < name.length(); ++index)
            require(name[index] != '/' && name[index] != 0);
        s_checksum_sink = s_checksum_sink * 31 + node + type;
        ++visited;
    });
    require(visited <= bytes.size() / (sizeof(DirectoryRecord) + 1));
    return 0;
}
