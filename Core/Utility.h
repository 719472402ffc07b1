#pragma once

// The small type utilities the rest of Core needs. The kernel may not use std::, so
// these are written out here; they behave like their standard namesakes.

namespace Core {

template<typename T> struct RemoveReferenceTrait {
    using Type = T;
};
template<typename T> struct RemoveReferenceTrait<T&> {
    using Type = T;
};
template<typename T> struct RemoveReferenceTrait<T&&> {
    using Type = T;
};
template<typename T> using RemoveReference = typename RemoveReferenceTrait<T>::Type;

template<typename T> struct RemoveConstVolatileTrait {
    using Type = T;
};
template<typename T> struct RemoveConstVolatileTrait<const T> {
    using Type = T;
};
template<typename T> struct RemoveConstVolatileTrait<volatile T> {
    using Type = T;
};
template<typename T> struct RemoveConstVolatileTrait<const volatile T> {
    using Type = T;
};
template<typename T> using RemoveConstVolatile = typename RemoveConstVolatileTrait<T>::Type;

template<typename T> using Decay = RemoveConstVolatile<RemoveReference<T>>;

template<typename T, typename U> inline constexpr bool is_same = false;
template<typename T> inline constexpr bool is_same<T, T> = true;

template<typename T> constexpr RemoveReference<T>&& move(T&& value)
{
    return static_cast<RemoveReference<T>&&>(value);
}

template<typename T> constexpr T&& forward(RemoveReference<T>& value)
{
    return static_cast<T&&>(value);
}

template<typename T> constexpr T&& forward(RemoveReference<T>&& value)
{
    return static_cast<T&&>(value);
}

template<typename T, typename U = T> constexpr T exchange(T& slot, U&& new_value)
{
    T old_value = move(slot);
    slot = forward<U>(new_value);
    return old_value;
}

template<typename T> constexpr void swap(T& first, T& second)
{
    T temporary = move(first);
    first = move(second);
    second = move(temporary);
}

template<typename T> constexpr const T& min(const T& first, const T& second)
{
    return second < first ? second : first;
}

template<typename T> constexpr const T& max(const T& first, const T& second)
{
    return first < second ? second : first;
}

// `alignment` must be a power of two. The caller ensures value + alignment - 1 does not
// overflow T (for outside input, check against the limit before aligning).
template<typename T> constexpr T align_up(T value, T alignment)
{
    return (value + alignment - 1) & ~(alignment - 1);
}

template<typename T> constexpr T align_down(T value, T alignment)
{
    return value & ~(alignment - 1);
}

template<typename T> constexpr bool is_power_of_two(T value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

} // namespace Core
