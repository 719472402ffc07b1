// libFuzzer target for IPC message decoding (Core/Ipc/Schema.h). The input is decoded as
// each example message type (Tests/Host/IpcExampleProtocols.h). Decoding must survive any
// bytes (the sanitizers catch out-of-bounds reads and overflow; a VERIFY aborts), and the
// encoding is canonical: a message the decoder accepts, encoded again at the version and
// transaction id it arrived with, gives back the very same bytes and handles. Decoding
// that encoding again must give back the same message.
//
// Input layout: the first byte says which handles the channel delivered with the message
// (bits 0-6: how many, taken modulo 65; bit 7: the first one is the invalid value zero,
// which a broken channel could deliver); the rest is the message.

#include "../Host/IpcExampleProtocols.h"

#include <Core/Ipc/Schema.h>
#include <stddef.h>
#include <stdint.h>

namespace {

using namespace IpcExamples;

// Stops the run on a broken promise; libFuzzer saves the input that caused it.
void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

// Written after every run so that the work of decoding has an observable use.
volatile uint64_t s_checksum_sink;

template<typename Message>
void check_canonical(Core::ReadonlyBytes bytes, Core::Span<const ABI::HandleValue> handles)
{
    auto decoded = Core::Ipc::decode<Message>(bytes, handles);
    if (decoded.is_error()) {
        Core::ErrorCode code = decoded.error().code();
        require(code == Core::ErrorCode::Malformed || code == Core::ErrorCode::NotSupported
            || code == Core::ErrorCode::BadHandle);
        s_checksum_sink = s_checksum_sink * 31 + static_cast<uint64_t>(code);
        return;
    }
    const Core::Ipc::MessageHeader& header = decoded.value().header;
    require(header.protocol_id == Message::protocol_id && header.message_tag == Message::message_tag);
    require(header.version >= 1 && header.version <= Message::version);
    require(header.total_length == bytes.size() && header.handle_count == handles.size());

    uint8_t encoded_bytes[Core::Ipc::maximum_encoded_size<Message>];
    ABI::HandleValue encoded_handles[Core::Ipc::maximum_handle_count] {};
    auto encoded = Core::Ipc::encode_as_version(header.version, decoded.value().message,
        header.transaction_id, Core::Bytes(encoded_bytes, sizeof(encoded_bytes)),
        Core::Span<ABI::HandleValue>(encoded_handles, Core::Ipc::maximum_handle_count));
    require(!encoded.is_error());
    require(encoded.value().byte_count == bytes.size());
    require(encoded.value().handle_count == handles.size());
    for (size_t index = 0; index < bytes.size(); ++index)
        require(encoded_bytes[index] == bytes[index]);
    for (size_t index = 0; index < handles.size(); ++index)
        require(encoded_handles[index] == handles[index]);

    auto decoded_again
        = Core::Ipc::decode<Message>(Core::ReadonlyBytes(encoded_bytes, encoded.value().byte_count),
            Core::Span<const ABI::HandleValue>(encoded_handles, encoded.value().handle_count));
    require(!decoded_again.is_error());
    require(decoded_again.value().message == decoded.value().message);
    require(decoded_again.value().header == header);
    s_checksum_sink = s_checksum_sink * 31 + header.transaction_id + header.version;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    size_t handle_count = (data[0] & 0x7F) % (Core::Ipc::maximum_handle_count + 1);
    ABI::HandleValue handles[Core::Ipc::maximum_handle_count];
    for (size_t index = 0; index < handle_count; ++index)
        handles[index] = static_cast<ABI::HandleValue>(0x10000 + index);
    if ((data[0] & 0x80) != 0 && handle_count > 0)
        handles[0] = ABI::invalid_handle;

    Core::ReadonlyBytes message(data + 1, size - 1);
    Core::Span<const ABI::HandleValue> delivered(handles, handle_count);
    check_canonical<BlockDevice::GeometryRequest>(message, delivered);
    check_canonical<BlockDevice::GeometryReply>(message, delivered);
    check_canonical<BlockDevice::ReadRequest>(message, delivered);
    check_canonical<BlockDevice::WriteRequest>(message, delivered);
    check_canonical<BlockDevice::FlushRequest>(message, delivered);
    check_canonical<BlockDevice::CompletionReply>(message, delivered);
    check_canonical<FieldSampler>(message, delivered);
    return 0;
}
