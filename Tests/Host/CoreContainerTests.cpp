// Host tests for the freestanding Core containers and helpers: Result/TRY, Optional,
// StringView, Span, StaticVector, OverwritingByteRing and RateLimiter. Lifetimes are
// checked with a counting type, so a missed or doubled destructor call fails a test
// (and AddressSanitizer catches any use of storage after it).

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/RateLimiter.h>
#include <Core/RingBuffer.h>
#include <Core/Span.h>
#include <Core/StaticVector.h>
#include <Core/StringView.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>

using Core::ErrorCode;

namespace {

std::string_view as_std(Core::StringView view)
{
    return { view.characters(), view.length() };
}

struct LifetimeCounts {
    int constructed { 0 };
    int copied { 0 };
    int moved { 0 };
    int destroyed { 0 };

    // Objects created by any constructor and not yet destroyed.
    int alive() const { return constructed + copied + moved - destroyed; }
};

// A value that records every construction and destruction in a LifetimeCounts.
class Tracked {
public:
    Tracked(LifetimeCounts& counts, int payload)
        : m_counts(&counts)
        , m_payload(payload)
    {
        ++m_counts->constructed;
    }
    Tracked(const Tracked& other)
        : m_counts(other.m_counts)
        , m_payload(other.m_payload)
    {
        ++m_counts->copied;
    }
    Tracked(Tracked&& other)
        : m_counts(other.m_counts)
        , m_payload(other.m_payload)
    {
        // Mark the source so that a test can tell a move from a copy.
        other.m_payload = -1;
        ++m_counts->moved;
    }
    Tracked& operator=(const Tracked&) = delete;
    ~Tracked() { ++m_counts->destroyed; }

    int payload() const { return m_payload; }

private:
    LifetimeCounts* m_counts;
    int m_payload;
};

// ---- Small fallible functions that use TRY the way kernel code does ---------------------

Core::Result<int> parse_digit(char character, int& calls)
{
    ++calls;
    if (character < '0' || character > '9')
        return ErrorCode::InvalidArgument;
    return character - '0';
}

Core::Result<int> parse_two_digits(Core::StringView text, int& calls)
{
    if (text.length() != 2)
        return ErrorCode::OutOfRange;
    int tens = TRY(parse_digit(text[0], calls));
    int ones = TRY(parse_digit(text[1], calls));
    return tens * 10 + ones;
}

Core::Result<void> require_even(int value)
{
    if (value % 2 != 0)
        return ErrorCode::WrongType;
    return {};
}

// Mixes TRY on Result<int> and on Result<void> in a function returning Result<void>.
Core::Result<void> store_even_two_digit_number(Core::StringView text, int& destination)
{
    int calls = 0;
    int value = TRY(parse_two_digits(text, calls));
    TRY(require_even(value));
    destination = value;
    return {};
}

Core::Result<Tracked> make_tracked(LifetimeCounts& counts, bool fail)
{
    if (fail)
        return ErrorCode::OutOfMemory;
    return Tracked(counts, 99);
}

Core::Result<int> payload_of_tracked(LifetimeCounts& counts, bool fail)
{
    Tracked tracked = TRY(make_tracked(counts, fail));
    return tracked.payload();
}

} // namespace

// ---- Result and TRY ---------------------------------------------------------------------

TEST(Result, HoldsValueOrError)
{
    Core::Result<int> success = 5;
    ASSERT_FALSE(success.is_error());
    EXPECT_EQ(success.value(), 5);

    Core::Result<int> failure = ErrorCode::NotFound;
    ASSERT_TRUE(failure.is_error());
    EXPECT_EQ(failure.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(failure.error(), Core::Error(ErrorCode::NotFound));
    EXPECT_NE(failure.error(), Core::Error(ErrorCode::Busy));
}

TEST(Result, VoidResultDefaultsToSuccess)
{
    Core::Result<void> success;
    EXPECT_FALSE(success.is_error());

    Core::Result<void> failure = ErrorCode::TimedOut;
    ASSERT_TRUE(failure.is_error());
    EXPECT_EQ(failure.error().code(), ErrorCode::TimedOut);
}

TEST(Result, TryReturnsValueOnSuccess)
{
    int calls = 0;
    auto result = parse_two_digits("42", calls);
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value(), 42);
    EXPECT_EQ(calls, 2);
}

TEST(Result, TryPropagatesFirstErrorAndStopsThere)
{
    int calls = 0;
    auto first_bad = parse_two_digits("x2", calls);
    ASSERT_TRUE(first_bad.is_error());
    EXPECT_EQ(first_bad.error().code(), ErrorCode::InvalidArgument);
    // The second digit must not be parsed once the first one failed.
    EXPECT_EQ(calls, 1);

    calls = 0;
    auto second_bad = parse_two_digits("4y", calls);
    ASSERT_TRUE(second_bad.is_error());
    EXPECT_EQ(second_bad.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(calls, 2);

    calls = 0;
    auto wrong_length = parse_two_digits("123", calls);
    ASSERT_TRUE(wrong_length.is_error());
    EXPECT_EQ(wrong_length.error().code(), ErrorCode::OutOfRange);
    EXPECT_EQ(calls, 0);
}

TEST(Result, TryWorksWithVoidResults)
{
    int destination = -1;
    EXPECT_FALSE(store_even_two_digit_number("42", destination).is_error());
    EXPECT_EQ(destination, 42);

    destination = -1;
    auto odd = store_even_two_digit_number("43", destination);
    ASSERT_TRUE(odd.is_error());
    EXPECT_EQ(odd.error().code(), ErrorCode::WrongType);
    EXPECT_EQ(destination, -1);

    auto not_a_number = store_even_two_digit_number("4z", destination);
    ASSERT_TRUE(not_a_number.is_error());
    EXPECT_EQ(not_a_number.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(destination, -1);
}

TEST(Result, OwnsItsValueExactlyOnce)
{
    LifetimeCounts counts;
    {
        auto result = make_tracked(counts, false);
        ASSERT_FALSE(result.is_error());
        EXPECT_EQ(result.value().payload(), 99);
        EXPECT_EQ(counts.alive(), 1);
    }
    EXPECT_EQ(counts.alive(), 0);
    EXPECT_EQ(counts.copied, 0);

    {
        auto failure = make_tracked(counts, true);
        ASSERT_TRUE(failure.is_error());
    }
    // An error result holds no value, so it must not run a destructor for one.
    EXPECT_EQ(counts.alive(), 0);
}

TEST(Result, ReleaseValueMovesOut)
{
    LifetimeCounts counts;
    {
        Core::Result<Tracked> result = Tracked(counts, 7);
        Tracked released = result.release_value();
        EXPECT_EQ(released.payload(), 7);
        EXPECT_EQ(result.value().payload(), -1);
        EXPECT_EQ(counts.copied, 0);
    }
    EXPECT_EQ(counts.alive(), 0);
}

TEST(Result, TryMovesValueWithoutCopying)
{
    LifetimeCounts counts;
    auto payload = payload_of_tracked(counts, false);
    ASSERT_FALSE(payload.is_error());
    EXPECT_EQ(payload.value(), 99);
    EXPECT_EQ(counts.copied, 0);
    EXPECT_EQ(counts.alive(), 0);

    auto failure = payload_of_tracked(counts, true);
    ASSERT_TRUE(failure.is_error());
    EXPECT_EQ(failure.error().code(), ErrorCode::OutOfMemory);
    EXPECT_EQ(counts.alive(), 0);
}

TEST(Result, MoveConstructionTransfersValueOrError)
{
    Core::Result<int> original = 11;
    Core::Result<int> moved(Core::move(original));
    ASSERT_FALSE(moved.is_error());
    EXPECT_EQ(moved.value(), 11);

    Core::Result<int> original_error = ErrorCode::Busy;
    Core::Result<int> moved_error(Core::move(original_error));
    ASSERT_TRUE(moved_error.is_error());
    EXPECT_EQ(moved_error.error().code(), ErrorCode::Busy);
}

TEST(Error, NamesAreStable)
{
    EXPECT_STREQ(Core::Error(ErrorCode::InvalidArgument).name(), "InvalidArgument");
    EXPECT_STREQ(Core::Error(ErrorCode::NotFound).name(), "NotFound");
    EXPECT_STREQ(Core::Error(ErrorCode::Malformed).name(), "Malformed");
    EXPECT_STREQ(Core::Error(ErrorCode::OutOfRange).name(), "OutOfRange");
    EXPECT_STREQ(Core::Error(ErrorCode::WouldBlock).name(), "WouldBlock");
    // Codes from a newer peer, or the Count sentinel, must still map to a name.
    EXPECT_STREQ(Core::Error(ErrorCode::Count).name(), "UnknownError");
    EXPECT_STREQ(Core::Error(static_cast<ErrorCode>(9999)).name(), "UnknownError");
    EXPECT_STREQ(Core::Error(static_cast<ErrorCode>(0)).name(), "UnknownError");
}

TEST(Error, EveryCodeBelowCountHasItsOwnName)
{
    std::set<std::string> names_seen;
    for (int code = 1; code < static_cast<int>(ErrorCode::Count); ++code) {
        std::string name = Core::Error(static_cast<ErrorCode>(code)).name();
        EXPECT_NE(name, "UnknownError") << "code " << code;
        EXPECT_TRUE(names_seen.insert(name).second) << "code " << code << " repeats the name " << name;
    }
}

// ---- Optional ---------------------------------------------------------------------------

TEST(Optional, EmptyByDefault)
{
    Core::Optional<int> empty;
    EXPECT_FALSE(empty.has_value());
    EXPECT_FALSE(static_cast<bool>(empty));
    EXPECT_EQ(empty.value_or(7), 7);
}

TEST(Optional, HoldsValue)
{
    Core::Optional<int> holding = 3;
    ASSERT_TRUE(holding.has_value());
    EXPECT_TRUE(static_cast<bool>(holding));
    EXPECT_EQ(holding.value(), 3);
    EXPECT_EQ(*holding, 3);
    EXPECT_EQ(holding.value_or(7), 3);
    *holding = 8;
    EXPECT_EQ(holding.value(), 8);
}

namespace {

// Counts copies and moves but, unlike Tracked, has a trivial destructor, so that the
// Optional holding it must be trivially destructible too.
class CopyCounted {
public:
    CopyCounted(LifetimeCounts& counts, int payload)
        : m_counts(&counts)
        , m_payload(payload)
    {
        ++m_counts->constructed;
    }
    CopyCounted(const CopyCounted& other)
        : m_counts(other.m_counts)
        , m_payload(other.m_payload)
    {
        ++m_counts->copied;
    }
    CopyCounted(CopyCounted&& other)
        : m_counts(other.m_counts)
        , m_payload(other.m_payload)
    {
        other.m_payload = -1;
        ++m_counts->moved;
    }
    CopyCounted& operator=(const CopyCounted&) = delete;

    int payload() const { return m_payload; }

private:
    LifetimeCounts* m_counts;
    int m_payload;
};

} // namespace

TEST(Optional, OfTriviallyDestructibleTypeIsTriviallyDestructible)
{
    // Optional.h promises this so that Optionals can be kernel globals without atexit.
    EXPECT_TRUE(std::is_trivially_destructible_v<Core::Optional<int>>);
    EXPECT_TRUE(std::is_trivially_destructible_v<Core::Optional<CopyCounted>>);
}

TEST(Optional, ArrowReachesMembers)
{
    LifetimeCounts counts;
    Core::Optional<CopyCounted> holding = CopyCounted(counts, 12);
    EXPECT_EQ(holding->payload(), 12);
    EXPECT_EQ((*holding).payload(), 12);
}

TEST(Optional, ConstructionFromValueCopiesOrMoves)
{
    LifetimeCounts counts;
    CopyCounted value(counts, 3);
    Core::Optional<CopyCounted> copied = value;
    EXPECT_EQ(copied->payload(), 3);
    EXPECT_EQ(counts.copied, 1);
    EXPECT_EQ(value.payload(), 3);
    Core::Optional<CopyCounted> moved = Core::move(value);
    EXPECT_EQ(counts.copied, 1);
    EXPECT_EQ(counts.moved, 1);
    EXPECT_EQ(moved->payload(), 3);
    EXPECT_EQ(value.payload(), -1);
}

TEST(Optional, CopyIsIndependent)
{
    LifetimeCounts counts;
    Core::Optional<CopyCounted> original = CopyCounted(counts, 5);
    int copies_before = counts.copied;
    Core::Optional<CopyCounted> copy = original;
    ASSERT_TRUE(copy.has_value());
    EXPECT_EQ(copy->payload(), 5);
    EXPECT_EQ(counts.copied, copies_before + 1);

    copy.clear();
    EXPECT_FALSE(copy.has_value());
    ASSERT_TRUE(original.has_value());
    EXPECT_EQ(original->payload(), 5);
}

TEST(Optional, MoveTransfersValueWithoutCopying)
{
    LifetimeCounts counts;
    Core::Optional<CopyCounted> original = CopyCounted(counts, 5);
    int copies_before = counts.copied;
    int moves_before = counts.moved;
    Core::Optional<CopyCounted> moved = Core::move(original);
    ASSERT_TRUE(moved.has_value());
    EXPECT_EQ(moved->payload(), 5);
    EXPECT_EQ(counts.copied, copies_before);
    EXPECT_EQ(counts.moved, moves_before + 1);
}

TEST(Optional, CopyOfEmptyIsEmpty)
{
    Core::Optional<int> empty;
    Core::Optional<int> copy = empty;
    EXPECT_FALSE(copy.has_value());
    Core::Optional<int> moved = Core::move(empty);
    EXPECT_FALSE(moved.has_value());
}

TEST(Optional, AssignmentReplacesOrEmpties)
{
    LifetimeCounts counts;
    Core::Optional<CopyCounted> target = CopyCounted(counts, 1);
    Core::Optional<CopyCounted> source = CopyCounted(counts, 2);
    target = source;
    ASSERT_TRUE(target.has_value());
    EXPECT_EQ(target->payload(), 2);
    EXPECT_EQ(source->payload(), 2);

    Core::Optional<CopyCounted> empty;
    target = empty;
    EXPECT_FALSE(target.has_value());

    int copies_before = counts.copied;
    target = Core::move(source);
    ASSERT_TRUE(target.has_value());
    EXPECT_EQ(target->payload(), 2);
    EXPECT_EQ(counts.copied, copies_before);

    // Self-assignment must keep the value rather than clear it first.
    auto& alias = target;
    target = alias;
    ASSERT_TRUE(target.has_value());
    EXPECT_EQ(target->payload(), 2);
}

TEST(Optional, ClearEmpties)
{
    Core::Optional<int> holding = 4;
    holding.clear();
    EXPECT_FALSE(holding.has_value());
    EXPECT_EQ(holding.value_or(-1), -1);
    holding.clear();
    EXPECT_FALSE(holding.has_value());
}

TEST(Optional, NonTriviallyDestructibleValues)
{
    LifetimeCounts counts;
    {
        Core::Optional<Tracked> holding = Tracked(counts, 4);
        Core::Optional<Tracked> copy = holding;
        EXPECT_EQ(counts.alive(), 2);

        int destroyed_before = counts.destroyed;
        holding.clear();
        EXPECT_FALSE(holding.has_value());
        EXPECT_EQ(counts.destroyed, destroyed_before + 1);
        // A second clear has nothing left to destroy.
        holding.clear();
        EXPECT_EQ(counts.destroyed, destroyed_before + 1);

        // Assigning over a value destroys it; assigning an empty one empties the target.
        Core::Optional<Tracked> replacement = Tracked(counts, 5);
        destroyed_before = counts.destroyed;
        copy = replacement;
        EXPECT_EQ(counts.destroyed, destroyed_before + 1);
        EXPECT_EQ(copy->payload(), 5);
        copy = holding;
        EXPECT_FALSE(copy.has_value());
        EXPECT_EQ(counts.destroyed, destroyed_before + 2);

        Tracked fallback(counts, 0);
        EXPECT_EQ(replacement.value_or(fallback).payload(), 5);
        EXPECT_EQ(holding.value_or(fallback).payload(), 0);
    }
    // Every value the Optionals held was destroyed exactly once.
    EXPECT_EQ(counts.alive(), 0);
}

TEST(Optional, EmplaceReplacesHeldValue)
{
    LifetimeCounts counts;
    {
        Core::Optional<Tracked> holding;
        holding.emplace(counts, 1);
        ASSERT_TRUE(holding.has_value());
        EXPECT_EQ(holding->payload(), 1);
        // Built in place: no copy or move of a temporary.
        EXPECT_EQ(counts.copied + counts.moved, 0);

        holding.emplace(counts, 2);
        EXPECT_EQ(holding->payload(), 2);
        EXPECT_EQ(counts.destroyed, 1);
        EXPECT_EQ(counts.alive(), 1);
    }
    EXPECT_EQ(counts.alive(), 0);
}

// ---- StringView -------------------------------------------------------------------------

TEST(StringView, LengthAndEmptiness)
{
    EXPECT_EQ("abc"_sv.length(), 3u);
    EXPECT_TRUE(Core::StringView().is_empty());
    EXPECT_TRUE(Core::StringView("").is_empty());
    const char* null_string = nullptr;
    EXPECT_TRUE(Core::StringView(null_string).is_empty());
    // The literal operator keeps embedded NULs, the C-string constructor stops at one.
    EXPECT_EQ("a\0b"_sv.length(), 3u);
    EXPECT_EQ(Core::StringView("a\0b").length(), 1u);
}

TEST(StringView, Equality)
{
    EXPECT_TRUE("abc"_sv == "abc"_sv);
    EXPECT_FALSE("abc"_sv == "abd"_sv);
    EXPECT_FALSE("abc"_sv == "ab"_sv);
    EXPECT_TRUE(Core::StringView() == ""_sv);
}

TEST(StringView, FindCharacter)
{
    Core::StringView text = "key=value=more";
    ASSERT_TRUE(text.find('=').has_value());
    EXPECT_EQ(text.find('=').value(), 3u);
    EXPECT_EQ(text.find('=', 4).value(), 9u);
    EXPECT_EQ(text.find('k').value(), 0u);
    EXPECT_EQ(text.find('e', 13).value(), 13u);
    EXPECT_FALSE(text.find('=', 10).has_value());
    EXPECT_FALSE(text.find('#').has_value());
    // A start beyond the end finds nothing rather than reading past it.
    EXPECT_FALSE(text.find('k', 100).has_value());
    EXPECT_FALSE(Core::StringView().find('a').has_value());
}

TEST(StringView, FindSubstring)
{
    Core::StringView text = "panic=qemu-exit";
    EXPECT_EQ(text.find("qemu"_sv).value(), 6u);
    EXPECT_EQ(text.find("panic"_sv).value(), 0u);
    EXPECT_EQ(text.find("exit"_sv).value(), 11u);
    EXPECT_FALSE(text.find("halt"_sv).has_value());
    EXPECT_FALSE(text.find("panic=qemu-exit!"_sv).has_value());
    EXPECT_EQ(text.find(""_sv).value(), 0u);
    EXPECT_EQ("aaab"_sv.find("aab"_sv).value(), 1u);
}

TEST(StringView, SubstringClampsToWhatExists)
{
    Core::StringView text = "hello";
    EXPECT_EQ(as_std(text.substring(1, 3)), "ell");
    EXPECT_EQ(as_std(text.substring(2)), "llo");
    EXPECT_EQ(as_std(text.substring(3, 100)), "lo");
    EXPECT_EQ(as_std(text.substring(0, SIZE_MAX)), "hello");
    EXPECT_TRUE(text.substring(5).is_empty());
    EXPECT_TRUE(text.substring(6).is_empty());
    EXPECT_TRUE(text.substring(SIZE_MAX, 1).is_empty());
    EXPECT_TRUE(text.substring(1, 0).is_empty());
}

TEST(StringView, StartsWithAndEndsWith)
{
    Core::StringView text = "test=suite.*";
    EXPECT_TRUE(text.starts_with("test="));
    EXPECT_TRUE(text.starts_with(""));
    EXPECT_TRUE(text.starts_with(text));
    EXPECT_FALSE(text.starts_with("test=suite.*x"));
    EXPECT_FALSE(text.starts_with("est"));
    EXPECT_TRUE(text.ends_with(".*"));
    EXPECT_TRUE(text.ends_with(""));
    EXPECT_FALSE(text.ends_with("x.*"));
    EXPECT_FALSE("*"_sv.ends_with(".*"));
    EXPECT_FALSE(Core::StringView().starts_with("a"));
}

TEST(StringView, ToUnsignedDecimal)
{
    EXPECT_EQ("0"_sv.to_unsigned().value(), 0u);
    EXPECT_EQ("42"_sv.to_unsigned().value(), 42u);
    EXPECT_EQ("007"_sv.to_unsigned().value(), 7u);
    EXPECT_EQ("18446744073709551615"_sv.to_unsigned().value(), UINT64_MAX);
}

TEST(StringView, ToUnsignedHex)
{
    EXPECT_EQ("0x0"_sv.to_unsigned().value(), 0u);
    EXPECT_EQ("0x1f"_sv.to_unsigned().value(), 31u);
    EXPECT_EQ("0X1F"_sv.to_unsigned().value(), 31u);
    EXPECT_EQ("0xDeadBeef"_sv.to_unsigned().value(), 0xdeadbeefu);
    EXPECT_EQ("0xffffffffffffffff"_sv.to_unsigned().value(), UINT64_MAX);
}

TEST(StringView, ToUnsignedRejectsOverflow)
{
    EXPECT_FALSE("18446744073709551616"_sv.to_unsigned().has_value());
    EXPECT_FALSE("99999999999999999999"_sv.to_unsigned().has_value());
    EXPECT_FALSE("0x10000000000000000"_sv.to_unsigned().has_value());
}

TEST(StringView, ToUnsignedRejectsMalformedInput)
{
    EXPECT_FALSE(""_sv.to_unsigned().has_value());
    EXPECT_FALSE(Core::StringView().to_unsigned().has_value());
    EXPECT_FALSE("0x"_sv.to_unsigned().has_value());
    EXPECT_FALSE("12a"_sv.to_unsigned().has_value());
    EXPECT_FALSE("ff"_sv.to_unsigned().has_value());
    EXPECT_FALSE("0xfg"_sv.to_unsigned().has_value());
    EXPECT_FALSE("-1"_sv.to_unsigned().has_value());
    EXPECT_FALSE("+1"_sv.to_unsigned().has_value());
    EXPECT_FALSE(" 1"_sv.to_unsigned().has_value());
    EXPECT_FALSE("1 "_sv.to_unsigned().has_value());
    EXPECT_FALSE("1\0"_sv.to_unsigned().has_value());
}

TEST(StringView, IterationCoversExactlyTheView)
{
    Core::StringView text = Core::StringView("abcdef").substring(1, 3);
    std::string collected;
    for (char character : text)
        collected += character;
    EXPECT_EQ(collected, "bcd");
}

// ---- Span -------------------------------------------------------------------------------

TEST(Span, FromArrayAndIndexing)
{
    int numbers[] = { 10, 20, 30 };
    Core::Span<int> span(numbers);
    ASSERT_EQ(span.size(), 3u);
    EXPECT_EQ(span[0], 10);
    EXPECT_EQ(span[2], 30);
    span[1] = 21;
    EXPECT_EQ(numbers[1], 21);

    Core::Span<const int> readonly = span;
    EXPECT_EQ(readonly.data(), numbers);
    EXPECT_EQ(readonly.size(), 3u);

    int sum = 0;
    for (int number : readonly)
        sum += number;
    EXPECT_EQ(sum, 61);
}

TEST(Span, SliceClampsToWhatExists)
{
    int numbers[] = { 1, 2, 3, 4, 5 };
    Core::Span<int> span(numbers);

    auto middle = span.slice(1, 2);
    ASSERT_EQ(middle.size(), 2u);
    EXPECT_EQ(middle.data(), numbers + 1);
    EXPECT_EQ(middle[0], 2);
    EXPECT_EQ(middle[1], 3);

    auto tail = span.slice(3, 100);
    ASSERT_EQ(tail.size(), 2u);
    EXPECT_EQ(tail[0], 4);
    EXPECT_EQ(tail[1], 5);

    EXPECT_EQ(span.slice(2).size(), 3u);
    EXPECT_EQ(span.slice(0).size(), 5u);
    EXPECT_TRUE(span.slice(5).is_empty());
    EXPECT_TRUE(span.slice(6, 1).is_empty());
    EXPECT_TRUE(span.slice(SIZE_MAX, SIZE_MAX).is_empty());
    EXPECT_EQ(span.slice(1, SIZE_MAX).size(), 4u);
    EXPECT_TRUE(Core::Span<int>().slice(0, 1).is_empty());
}

// ---- StaticVector -----------------------------------------------------------------------

TEST(StaticVector, OfTriviallyDestructibleTypeIsTriviallyDestructible)
{
    // Like Optional, so that vectors of plain types can be kernel globals without atexit.
    EXPECT_TRUE((std::is_trivially_destructible_v<Core::StaticVector<int, 4>>));
    EXPECT_FALSE((std::is_trivially_destructible_v<Core::StaticVector<Tracked, 4>>));
}

TEST(StaticVector, AppendUntilFullThenOutOfRange)
{
    Core::StaticVector<int, 3> vector;
    EXPECT_TRUE(vector.is_empty());
    EXPECT_EQ(vector.capacity(), 3u);
    EXPECT_FALSE(vector.try_append(1).is_error());
    EXPECT_FALSE(vector.try_append(2).is_error());
    EXPECT_FALSE(vector.is_full());
    EXPECT_FALSE(vector.try_append(3).is_error());
    EXPECT_TRUE(vector.is_full());

    auto overflow = vector.try_append(4);
    ASSERT_TRUE(overflow.is_error());
    EXPECT_EQ(overflow.error().code(), ErrorCode::OutOfRange);

    // The failed append changed nothing.
    ASSERT_EQ(vector.size(), 3u);
    EXPECT_EQ(vector[0], 1);
    EXPECT_EQ(vector[1], 2);
    EXPECT_EQ(vector[2], 3);
}

TEST(StaticVector, SpanAndIterationSeeTheElements)
{
    Core::StaticVector<int, 4> vector;
    for (int value : { 5, 6, 7 })
        ASSERT_FALSE(vector.try_append(value).is_error());
    auto span = vector.span();
    ASSERT_EQ(span.size(), 3u);
    EXPECT_EQ(span[2], 7);
    int sum = 0;
    for (int value : vector)
        sum += value;
    EXPECT_EQ(sum, 18);
}

TEST(StaticVector, DestructorsRunOnClearAndOnDestruction)
{
    LifetimeCounts counts;
    {
        Core::StaticVector<Tracked, 4> vector;
        Tracked first(counts, 1);
        ASSERT_FALSE(vector.try_append(first).is_error());
        ASSERT_FALSE(vector.try_append(Tracked(counts, 2)).is_error());
        EXPECT_EQ(counts.copied, 1);
        EXPECT_GE(counts.moved, 1);
        // `first` plus the two elements.
        EXPECT_EQ(counts.alive(), 3);

        vector.clear();
        EXPECT_TRUE(vector.is_empty());
        EXPECT_EQ(counts.alive(), 1);

        ASSERT_FALSE(vector.try_append(Tracked(counts, 3)).is_error());
        EXPECT_EQ(counts.alive(), 2);
    }
    EXPECT_EQ(counts.alive(), 0);
}

TEST(StaticVector, FailedAppendCreatesNothing)
{
    LifetimeCounts counts;
    {
        Core::StaticVector<Tracked, 1> vector;
        ASSERT_FALSE(vector.try_append(Tracked(counts, 1)).is_error());
        Tracked extra(counts, 2);
        EXPECT_TRUE(vector.try_append(extra).is_error());
        EXPECT_EQ(counts.copied, 0);
        EXPECT_EQ(counts.alive(), 2);
    }
    EXPECT_EQ(counts.alive(), 0);
}

TEST(StaticVector, CopyIsIndependent)
{
    LifetimeCounts counts;
    {
        Core::StaticVector<Tracked, 4> original;
        ASSERT_FALSE(original.try_append(Tracked(counts, 1)).is_error());
        ASSERT_FALSE(original.try_append(Tracked(counts, 2)).is_error());

        Core::StaticVector<Tracked, 4> copy(original);
        ASSERT_EQ(copy.size(), 2u);
        EXPECT_EQ(copy[0].payload(), 1);
        EXPECT_EQ(copy[1].payload(), 2);
        EXPECT_EQ(counts.copied, 2);

        copy.clear();
        EXPECT_EQ(original.size(), 2u);
        EXPECT_EQ(original[1].payload(), 2);

        Core::StaticVector<Tracked, 4> assigned;
        ASSERT_FALSE(assigned.try_append(Tracked(counts, 9)).is_error());
        int destroyed_before = counts.destroyed;
        assigned = original;
        // The old element is destroyed, and both of the original's are copied in.
        EXPECT_EQ(counts.destroyed, destroyed_before + 1);
        ASSERT_EQ(assigned.size(), 2u);
        EXPECT_EQ(assigned[0].payload(), 1);
        EXPECT_EQ(assigned[1].payload(), 2);

        auto& alias = assigned;
        assigned = alias;
        ASSERT_EQ(assigned.size(), 2u);
        EXPECT_EQ(assigned[0].payload(), 1);
    }
    EXPECT_EQ(counts.alive(), 0);
}

// ---- OverwritingByteRing ----------------------------------------------------------------

namespace {

template<Core::usize Capacity>
std::string read_ring(const Core::OverwritingByteRing<Capacity>& ring, Core::usize skip, Core::usize count)
{
    std::string destination(count, '?');
    Core::usize copied = ring.read(skip, destination.data(), count);
    destination.resize(copied);
    return destination;
}

} // namespace

TEST(OverwritingByteRing, HoldsBytesUntilFull)
{
    Core::OverwritingByteRing<8> ring;
    EXPECT_EQ(ring.size(), 0u);
    EXPECT_EQ(read_ring(ring, 0, 8), "");

    ring.write("abc", 3);
    EXPECT_EQ(ring.size(), 3u);
    EXPECT_EQ(ring.dropped(), 0u);
    EXPECT_EQ(read_ring(ring, 0, 16), "abc");

    ring.write("defgh", 5);
    EXPECT_EQ(ring.size(), 8u);
    EXPECT_EQ(ring.dropped(), 0u);
    EXPECT_EQ(read_ring(ring, 0, 16), "abcdefgh");
}

TEST(OverwritingByteRing, WraparoundKeepsNewestBytes)
{
    Core::OverwritingByteRing<8> ring;
    ring.write("abc", 3);
    ring.write("defghij", 7);
    EXPECT_EQ(ring.size(), 8u);
    EXPECT_EQ(ring.dropped(), 2u);
    EXPECT_EQ(read_ring(ring, 0, 8), "cdefghij");

    ring.write("KLMNOPQRSTUVWXYZ", 16);
    EXPECT_EQ(ring.size(), 8u);
    EXPECT_EQ(ring.dropped(), 18u);
    EXPECT_EQ(read_ring(ring, 0, 8), "STUVWXYZ");
}

TEST(OverwritingByteRing, ManySmallWritesAcrossTheBoundary)
{
    Core::OverwritingByteRing<4> ring;
    std::string everything;
    for (char character = 'a'; character <= 'z'; ++character) {
        ring.write(&character, 1);
        everything += character;
        std::string expected = everything.substr(everything.size() > 4 ? everything.size() - 4 : 0);
        ASSERT_EQ(read_ring(ring, 0, 4), expected) << "after writing '" << character << "'";
        ASSERT_EQ(ring.dropped(), everything.size() - expected.size());
    }
}

TEST(OverwritingByteRing, ReadWithSkipAndCount)
{
    Core::OverwritingByteRing<8> ring;
    ring.write("0123456789", 10);
    // Held: "23456789".
    EXPECT_EQ(read_ring(ring, 3, 100), "56789");
    EXPECT_EQ(read_ring(ring, 3, 2), "56");
    EXPECT_EQ(read_ring(ring, 7, 100), "9");
    EXPECT_EQ(read_ring(ring, 8, 100), "");
    EXPECT_EQ(read_ring(ring, 1000, 100), "");
    EXPECT_EQ(read_ring(ring, 0, 0), "");
}

TEST(OverwritingByteRing, ReadDoesNotWriteBeyondCount)
{
    Core::OverwritingByteRing<8> ring;
    ring.write("abcdefgh", 8);
    char destination[6] = { '.', '.', '.', '.', '.', '.' };
    EXPECT_EQ(ring.read(1, destination, 3), 3u);
    EXPECT_EQ(std::string(destination, 6), "bcd...");
}

// ---- RateLimiter ------------------------------------------------------------------------

TEST(RateLimiter, BurstThenRefusal)
{
    Core::RateLimiter limiter(3, 100);
    for (int event = 0; event < 3; ++event) {
        auto decision = limiter.consider(0);
        EXPECT_TRUE(decision.allowed) << "event " << event;
        EXPECT_EQ(decision.suppressed_before, 0u);
    }
    EXPECT_FALSE(limiter.consider(0).allowed);
    EXPECT_FALSE(limiter.consider(50).allowed);
    EXPECT_FALSE(limiter.consider(99).allowed);
}

TEST(RateLimiter, RefillsOneEventPerIntervalAndReportsSuppressed)
{
    Core::RateLimiter limiter(2, 100);
    EXPECT_TRUE(limiter.consider(1000).allowed);
    EXPECT_TRUE(limiter.consider(1000).allowed);
    EXPECT_FALSE(limiter.consider(1010).allowed);
    EXPECT_FALSE(limiter.consider(1020).allowed);
    EXPECT_FALSE(limiter.consider(1099).allowed);

    auto after_one_interval = limiter.consider(1100);
    EXPECT_TRUE(after_one_interval.allowed);
    EXPECT_EQ(after_one_interval.suppressed_before, 3u);
    // One interval refills one token only.
    EXPECT_FALSE(limiter.consider(1100).allowed);

    auto next_allowed = limiter.consider(1200);
    EXPECT_TRUE(next_allowed.allowed);
    EXPECT_EQ(next_allowed.suppressed_before, 1u);

    // The count restarts after being reported.
    auto again = limiter.consider(1300);
    EXPECT_TRUE(again.allowed);
    EXPECT_EQ(again.suppressed_before, 0u);
}

TEST(RateLimiter, RefillNeverExceedsBurst)
{
    Core::RateLimiter limiter(2, 10);
    EXPECT_TRUE(limiter.consider(0).allowed);
    EXPECT_TRUE(limiter.consider(0).allowed);
    // A long quiet period refills only up to the burst size.
    EXPECT_TRUE(limiter.consider(1'000'000).allowed);
    EXPECT_TRUE(limiter.consider(1'000'000).allowed);
    EXPECT_FALSE(limiter.consider(1'000'000).allowed);
}

TEST(RateLimiter, PartialIntervalsAccumulate)
{
    Core::RateLimiter limiter(1, 100);
    EXPECT_TRUE(limiter.consider(0).allowed);
    EXPECT_FALSE(limiter.consider(60).allowed);
    // 60 + 60 ns: a full interval has passed since the bucket was last refilled, even
    // though each gap alone was shorter.
    EXPECT_TRUE(limiter.consider(120).allowed);
    // The next token is due at 200, not at 220.
    EXPECT_FALSE(limiter.consider(199).allowed);
    EXPECT_TRUE(limiter.consider(200).allowed);
}

TEST(RateLimiter, TimeGoingBackwardsDoesNotRefill)
{
    Core::RateLimiter limiter(1, 100);
    EXPECT_TRUE(limiter.consider(500).allowed);
    EXPECT_FALSE(limiter.consider(400).allowed);
    EXPECT_FALSE(limiter.consider(0).allowed);
    EXPECT_FALSE(limiter.consider(599).allowed);
    // Going backwards must not have moved the refill baseline either.
    auto decision = limiter.consider(600);
    EXPECT_TRUE(decision.allowed);
    EXPECT_EQ(decision.suppressed_before, 3u);
}

TEST(RateLimiter, ZeroIntervalNeverRefills)
{
    Core::RateLimiter limiter(1, 0);
    EXPECT_TRUE(limiter.consider(0).allowed);
    EXPECT_FALSE(limiter.consider(1'000'000'000).allowed);
}

TEST(RateLimiter, ZeroBurstRefusesEverything)
{
    Core::RateLimiter limiter(0, 1);
    EXPECT_FALSE(limiter.consider(0).allowed);
    EXPECT_FALSE(limiter.consider(1000).allowed);
}

// ---- Invariant violations stop the program ----------------------------------------------
// The "DeathTest" suffix makes GoogleTest run these first, before any threads exist.

TEST(CoreContainersDeathTest, SpanIndexPastEndAborts)
{
    int numbers[] = { 1, 2, 3 };
    Core::Span<int> span(numbers);
    EXPECT_DEATH((void)span[3], "VERIFY\\(index < m_size\\) failed");
    EXPECT_DEATH((void)span.slice(1)[2], "VERIFY\\(index < m_size\\) failed");
    EXPECT_DEATH((void)Core::Span<int>()[0], "VERIFY\\(index < m_size\\) failed");
}

TEST(CoreContainersDeathTest, StringViewIndexPastEndAborts)
{
    Core::StringView text = "abc";
    EXPECT_DEATH((void)text[3], "VERIFY\\(index < m_length\\) failed");
    EXPECT_DEATH((void)text.substring(1, 1)[1], "VERIFY\\(index < m_length\\) failed");
}

TEST(CoreContainersDeathTest, EmptyOptionalValueAborts)
{
    Core::Optional<int> empty;
    EXPECT_DEATH((void)empty.value(), "VERIFY\\(m_has_value\\) failed");
    EXPECT_DEATH((void)*empty, "VERIFY\\(m_has_value\\) failed");
    const Core::Optional<int> const_empty;
    EXPECT_DEATH((void)const_empty.value(), "VERIFY\\(m_has_value\\) failed");
}

TEST(CoreContainersDeathTest, ResultAccessorsOnWrongStateAbort)
{
    Core::Result<int> failure = ErrorCode::NotFound;
    EXPECT_DEATH((void)failure.value(), "VERIFY\\(!m_is_error\\) failed");
    Core::Result<int> success = 1;
    EXPECT_DEATH((void)success.error(), "VERIFY\\(m_is_error\\) failed");
    Core::Result<void> void_success;
    EXPECT_DEATH((void)void_success.error(), "VERIFY\\(m_is_error\\) failed");
}

TEST(CoreContainersDeathTest, StaticVectorIndexPastSizeAborts)
{
    Core::StaticVector<int, 4> vector;
    ASSERT_FALSE(vector.try_append(1).is_error());
    EXPECT_DEATH((void)vector[1], "VERIFY\\(index < m_size\\) failed");
}

TEST(RateLimiter, AHugeTimeGapRefillsToTheBurstWithoutWrapping)
{
    Core::RateLimiter limiter(2, 1);
    EXPECT_TRUE(limiter.consider(0).allowed);
    EXPECT_TRUE(limiter.consider(0).allowed);
    EXPECT_FALSE(limiter.consider(0).allowed);
    // Nearly 2^64 intervals later the bucket is simply full again.
    EXPECT_TRUE(limiter.consider(UINT64_MAX).allowed);
    EXPECT_TRUE(limiter.consider(UINT64_MAX).allowed);
    EXPECT_FALSE(limiter.consider(UINT64_MAX).allowed);
}

TEST(StaticVector, RemoveKeepsTheOrderOfTheRest)
{
    Core::StaticVector<int, 4> vector;
    for (int value : { 1, 2, 3, 4 })
        ASSERT_FALSE(vector.try_append(value).is_error());
    vector.remove(1);
    ASSERT_EQ(vector.size(), 3u);
    EXPECT_EQ(vector[0], 1);
    EXPECT_EQ(vector[1], 3);
    EXPECT_EQ(vector[2], 4);
    vector.remove(2);
    vector.remove(0);
    ASSERT_EQ(vector.size(), 1u);
    EXPECT_EQ(vector[0], 3);
    // Room again for an append.
    EXPECT_FALSE(vector.try_append(9).is_error());
}
