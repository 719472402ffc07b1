#pragma once

// Field descriptors: how a message struct says which of its members travel, in which
// order, and what values each may take (docs/ipc-schemas.md shows a whole protocol).
//
//     struct ReadRequest {
//         ...
//         u64 first_block { 0 };
//         Core::Ipc::Handle buffer;
//         u8 priority { 0 };
//         using Fields = Core::Ipc::FieldList<
//             Core::Ipc::Field::Integer<&ReadRequest::first_block>,
//             Core::Ipc::Field::Handle<&ReadRequest::buffer>,
//             Core::Ipc::Since<2, Core::Ipc::Field::Integer<&ReadRequest::priority>>>;
//     };
//
// Each descriptor is a type naming one member; FieldList lists them in wire order. From it
// Core/Ipc/Schema.h derives encode() and decode(), so the two can never disagree. Fields
// are packed one after another with no padding, integers little-endian. Each descriptor
// checks the values it decodes (Malformed when out of range) and the values it encodes
// (InvalidArgument), so an encoder can only produce what a decoder accepts, and a decoded
// message encodes back to the very same bytes.

#include <ABI/ErrorCode.h>
#include <Core/Error.h>
#include <Core/Ipc/FieldTypes.h>
#include <Core/Ipc/MessageCursor.h>
#include <Core/Types.h>
#include <Core/Utility.h>

namespace Core::Ipc {

namespace Detail {

template<typename MemberPointer> struct MemberPointerTrait;
template<typename Class, typename Member> struct MemberPointerTrait<Member Class::*> {
    using ClassType = Class;
    using MemberType = Member;
};

template<auto Member> using MessageOf = typename MemberPointerTrait<decltype(Member)>::ClassType;
template<auto Member> using ValueOf = typename MemberPointerTrait<decltype(Member)>::MemberType;

template<typename Type> inline constexpr bool is_fixed_bytes = false;
template<usize Size> inline constexpr bool is_fixed_bytes<FixedBytes<Size>> = true;
template<typename Type> inline constexpr bool is_bounded_bytes = false;
template<usize Capacity> inline constexpr bool is_bounded_bytes<BoundedBytes<Capacity>> = true;
template<typename Type> inline constexpr bool is_bounded_string = false;
template<usize Capacity> inline constexpr bool is_bounded_string<BoundedString<Capacity>> = true;

// What every descriptor shares: the member it names, and that it exists from version 1.
// Since<> moves a field to a later version.
template<auto Member> struct FieldBase {
    using Message = MessageOf<Member>;
    using Value = ValueOf<Member>;
    static constexpr u16 since_version = 1;
    static constexpr usize handle_count = 0;

    // Whether the message holds this field's default value: what a decoder of an older
    // version fills in, and so the only value that may be left out when encoding one.
    static bool holds_default(const Message& message) { return message.*Member == Message {}.*Member; }
};

// Reads a 16-bit length and that many bytes, refusing a length over the capacity.
template<usize Capacity> Result<ReadonlyBytes> read_bounded(MessageReader& reader)
{
    u16 length = TRY(reader.read_integer<u16>());
    if (length > Capacity)
        return ErrorCode::Malformed;
    return reader.read_bytes(length);
}

template<usize Capacity>
Result<void> write_bounded(MessageWriter& writer, const BoundedStorage<Capacity>& value)
{
    TRY(writer.write_integer<u16>(static_cast<u16>(value.length())));
    return writer.write_bytes(value.bytes());
}

} // namespace Detail

namespace Field {

// A fixed-width integer (u8 to u64, i8 to i64): every value is valid.
template<auto Member> struct Integer : Detail::FieldBase<Member> {
    using typename Detail::FieldBase<Member>::Message;
    using typename Detail::FieldBase<Member>::Value;
    static_assert(Detail::is_wire_integer<Value>, "Field::Integer needs a fixed-width integer member");
    static constexpr usize maximum_size = sizeof(Value);

    static Result<void> decode(MessageReader& reader, Message& message)
    {
        message.*Member = TRY(reader.read_integer<Value>());
        return {};
    }
    static Result<void> encode(MessageWriter& writer, const Message& message)
    {
        return writer.write_integer<Value>(message.*Member);
    }
};

// A bool, one byte: 0 or 1, anything else is Malformed.
template<auto Member> struct Boolean : Detail::FieldBase<Member> {
    using typename Detail::FieldBase<Member>::Message;
    using typename Detail::FieldBase<Member>::Value;
    static_assert(is_same<Value, bool>, "Field::Boolean needs a bool member");
    static constexpr usize maximum_size = 1;

    static Result<void> decode(MessageReader& reader, Message& message)
    {
        u8 byte = TRY(reader.read_integer<u8>());
        if (byte > 1)
            return ErrorCode::Malformed;
        message.*Member = byte == 1;
        return {};
    }
    static Result<void> encode(MessageWriter& writer, const Message& message)
    {
        return writer.write_integer<u8>(message.*Member ? 1 : 0);
    }
};

// An enum sent as its underlying integer, which must be one of `KnownValues`. Adding a
// value to the set is a new version of the message: older decoders refuse it.
template<auto Member, auto... KnownValues> struct Enumeration : Detail::FieldBase<Member> {
    using typename Detail::FieldBase<Member>::Message;
    using typename Detail::FieldBase<Member>::Value;
    static_assert(__is_enum(Value), "Field::Enumeration needs an enum member");
    using Underlying = __underlying_type(Value);
    static_assert(
        Detail::is_wire_integer<Underlying>, "the enum's underlying type must be a fixed-width integer");
    static_assert(sizeof...(KnownValues) > 0, "an enumeration field lists the values it accepts");
    static_assert(
        (is_same<decltype(KnownValues), Value> && ...), "the known values must be of the member's type");
    static constexpr usize maximum_size = sizeof(Underlying);

    static constexpr bool is_known(Value value) { return ((value == KnownValues) || ...); }

    static Result<void> decode(MessageReader& reader, Message& message)
    {
        auto value = static_cast<Value>(TRY(reader.read_integer<Underlying>()));
        if (!is_known(value))
            return ErrorCode::Malformed;
        message.*Member = value;
        return {};
    }
    static Result<void> encode(MessageWriter& writer, const Message& message)
    {
        if (!is_known(message.*Member))
            return ErrorCode::InvalidArgument;
        return writer.write_integer<Underlying>(static_cast<Underlying>(message.*Member));
    }
};

// An unsigned integer of flag bits; a bit outside `KnownBits` is refused. Defining a new
// bit is a new version of the message.
template<auto Member, u64 KnownBits> struct BitSet : Detail::FieldBase<Member> {
    using typename Detail::FieldBase<Member>::Message;
    using typename Detail::FieldBase<Member>::Value;
    static_assert(is_same<Value, u8> || is_same<Value, u16> || is_same<Value, u32> || is_same<Value, u64>,
        "Field::BitSet needs an unsigned integer member");
    static_assert(KnownBits == static_cast<Value>(KnownBits), "the known bits must fit the member");
    static constexpr usize maximum_size = sizeof(Value);
    static constexpr Value known_bits = static_cast<Value>(KnownBits);

    static Result<void> decode(MessageReader& reader, Message& message)
    {
        Value bits = TRY(reader.read_integer<Value>());
        if ((bits & static_cast<Value>(~known_bits)) != 0)
            return ErrorCode::Malformed;
        message.*Member = bits;
        return {};
    }
    static Result<void> encode(MessageWriter& writer, const Message& message)
    {
        if ((message.*Member & static_cast<Value>(~known_bits)) != 0)
            return ErrorCode::InvalidArgument;
        return writer.write_integer<Value>(message.*Member);
    }
};

// A Core::Ipc::FixedBytes<N> member: exactly N bytes, any values.
template<auto Member> struct FixedBytes : Detail::FieldBase<Member> {
    using typename Detail::FieldBase<Member>::Message;
    using typename Detail::FieldBase<Member>::Value;
    static_assert(Detail::is_fixed_bytes<Value>, "Field::FixedBytes needs a Core::Ipc::FixedBytes<N> member");
    static constexpr usize maximum_size = Value::size();

    static Result<void> decode(MessageReader& reader, Message& message)
    {
        ReadonlyBytes bytes = TRY(reader.read_bytes(Value::size()));
        for (usize index = 0; index < Value::size(); ++index)
            (message.*Member).bytes[index] = bytes[index];
        return {};
    }
    static Result<void> encode(MessageWriter& writer, const Message& message)
    {
        return writer.write_bytes((message.*Member).view());
    }
};

// A Core::Ipc::BoundedBytes<Capacity> member: a 16-bit length, then that many bytes.
// A length over the capacity is Malformed.
template<auto Member> struct BoundedBytes : Detail::FieldBase<Member> {
    using typename Detail::FieldBase<Member>::Message;
    using typename Detail::FieldBase<Member>::Value;
    static_assert(
        Detail::is_bounded_bytes<Value>, "Field::BoundedBytes needs a Core::Ipc::BoundedBytes<N> member");
    static constexpr usize maximum_size = sizeof(u16) + Value::capacity();

    static Result<void> decode(MessageReader& reader, Message& message)
    {
        ReadonlyBytes bytes = TRY(Detail::read_bounded<Value::capacity()>(reader));
        // read_bounded() refused any length over the capacity, so this cannot fail.
        return (message.*Member).assign(bytes);
    }
    static Result<void> encode(MessageWriter& writer, const Message& message)
    {
        return Detail::write_bounded(writer, message.*Member);
    }
};

// A Core::Ipc::BoundedString<Capacity> member: as BoundedBytes, and the bytes must be
// valid UTF-8 without NUL, or the message is Malformed.
template<auto Member> struct BoundedString : Detail::FieldBase<Member> {
    using typename Detail::FieldBase<Member>::Message;
    using typename Detail::FieldBase<Member>::Value;
    static_assert(
        Detail::is_bounded_string<Value>, "Field::BoundedString needs a Core::Ipc::BoundedString<N> member");
    static constexpr usize maximum_size = sizeof(u16) + Value::capacity();

    static Result<void> decode(MessageReader& reader, Message& message)
    {
        ReadonlyBytes bytes = TRY(Detail::read_bounded<Value::capacity()>(reader));
        // The received bytes viewed as characters: same storage, same length.
        StringView text { reinterpret_cast<const char*>(bytes.data()), bytes.size() };
        if (!Value::is_acceptable(text))
            return ErrorCode::Malformed;
        return (message.*Member).assign(text);
    }
    static Result<void> encode(MessageWriter& writer, const Message& message)
    {
        // assign() is the only way to fill a BoundedString and it checks the text, so a
        // member always holds acceptable text and needs no second check here.
        return Detail::write_bounded(writer, message.*Member);
    }
};

// A Core::Ipc::Handle member. It takes no bytes: it is the next handle delivered beside
// the message, in the order the handle fields are listed. The header's handle_count must
// equal the number of handle fields of the message's version.
template<auto Member> struct Handle : Detail::FieldBase<Member> {
    using typename Detail::FieldBase<Member>::Message;
    using typename Detail::FieldBase<Member>::Value;
    static_assert(is_same<Value, Ipc::Handle>, "Field::Handle needs a Core::Ipc::Handle member");
    static constexpr usize maximum_size = 0;
    static constexpr usize handle_count = 1;

    static Result<void> decode(MessageReader& reader, Message& message)
    {
        (message.*Member).value = TRY(reader.read_handle());
        return {};
    }
    static Result<void> encode(MessageWriter& writer, const Message& message)
    {
        return writer.write_handle((message.*Member).value);
    }
};

} // namespace Field

// A field added in version `Version` of its message. Decoding an older message leaves it
// at its default (the member's initializer); encoding an older version leaves it out and
// refuses to if it holds anything but the default, since the receiver would never see it.
template<u16 Version, typename FieldDescriptor> struct Since : FieldDescriptor {
    static_assert(Version >= 1, "message versions start at 1");
    static constexpr u16 since_version = Version;
};

// A message's fields in wire order. Fields of later versions come after all fields of
// earlier ones, so an older message is a prefix of a newer one's body.
template<typename... FieldDescriptors> struct FieldList {
    static constexpr usize maximum_body_size = (FieldDescriptors::maximum_size + ... + 0);
    static constexpr usize total_handle_count = (FieldDescriptors::handle_count + ... + 0);

    static constexpr usize handle_count_at(u16 version)
    {
        return ((FieldDescriptors::since_version <= version ? FieldDescriptors::handle_count : 0) + ... + 0);
    }

    static constexpr bool versions_ascend()
    {
        u16 previous = 1;
        bool ascending = true;
        ((ascending = ascending && FieldDescriptors::since_version >= previous,
             previous = FieldDescriptors::since_version),
            ...);
        return ascending;
    }

    static constexpr u16 newest_field_version()
    {
        u16 newest = 1;
        ((newest = FieldDescriptors::since_version > newest ? FieldDescriptors::since_version : newest), ...);
        return newest;
    }

    template<typename Message>
    static constexpr bool belongs_to = (is_same<typename FieldDescriptors::Message, Message> && ...);

    // Decodes the fields that exist in `version`, in order, stopping at the first error.
    template<typename Message>
    static Result<void> decode(MessageReader& reader, Message& message, u16 version)
    {
        Result<void> first_error;
        if (!(decode_one<FieldDescriptors>(reader, message, version, first_error) && ...))
            return first_error;
        return {};
    }

    // Encodes the fields that exist in `version`; the others must hold their defaults.
    template<typename Message>
    static Result<void> encode(MessageWriter& writer, const Message& message, u16 version)
    {
        bool omitted_are_default
            = ((FieldDescriptors::since_version <= version || FieldDescriptors::holds_default(message))
                && ...);
        if (!omitted_are_default)
            return ErrorCode::InvalidArgument;
        Result<void> first_error;
        if (!(encode_one<FieldDescriptors>(writer, message, version, first_error) && ...))
            return first_error;
        return {};
    }

private:
    // One step of the folds above: false, with the error in `error`, stops the fold.
    template<typename Descriptor, typename Message>
    static bool decode_one(MessageReader& reader, Message& message, u16 version, Result<void>& error)
    {
        if (Descriptor::since_version > version)
            return true;
        error = Descriptor::decode(reader, message);
        return !error.is_error();
    }
    template<typename Descriptor, typename Message>
    static bool encode_one(MessageWriter& writer, const Message& message, u16 version, Result<void>& error)
    {
        if (Descriptor::since_version > version)
            return true;
        error = Descriptor::encode(writer, message);
        return !error.is_error();
    }
};

} // namespace Core::Ipc
