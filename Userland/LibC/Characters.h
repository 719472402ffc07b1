#pragma once

// ctype.h's classification and case mapping (C17 7.4) in the "C" locale, RaeenOS's only
// one: each takes an int holding EOF or an unsigned char's value. Inline and pure; the C
// library exports them (Userland/LibC/CFunctions.cpp).

namespace LibC {

inline int isupper(int character)
{
    return character >= 'A' && character <= 'Z';
}
inline int islower(int character)
{
    return character >= 'a' && character <= 'z';
}
inline int isalpha(int character)
{
    return isupper(character) || islower(character);
}
inline int isdigit(int character)
{
    return character >= '0' && character <= '9';
}
inline int isalnum(int character)
{
    return isalpha(character) || isdigit(character);
}
inline int isxdigit(int character)
{
    return isdigit(character) || (character >= 'a' && character <= 'f')
        || (character >= 'A' && character <= 'F');
}
inline int isblank(int character)
{
    return character == ' ' || character == '\t';
}
inline int isspace(int character)
{
    return character == ' ' || (character >= '\t' && character <= '\r');
}
inline int iscntrl(int character)
{
    return (character >= 0 && character < 0x20) || character == 0x7F;
}
inline int isprint(int character)
{
    return character >= 0x20 && character < 0x7F;
}
inline int isgraph(int character)
{
    return character > 0x20 && character < 0x7F;
}
inline int ispunct(int character)
{
    return isgraph(character) && !isalnum(character);
}
inline int toupper(int character)
{
    return islower(character) ? character - 'a' + 'A' : character;
}
inline int tolower(int character)
{
    return isupper(character) ? character - 'A' + 'a' : character;
}

} // namespace LibC
