// LibC's string.h, ctype.h and stdlib.h conversions (Userland/LibC/Strings.cpp,
// Characters.h, Conversions.cpp) against the host's libc, on chosen and random inputs.

#include <Userland/LibC/Characters.h>
#include <Userland/LibC/Conversions.h>
#include <Userland/LibC/Strings.h>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <vector>

namespace {

int sign_of(int value)
{
    return (value > 0) - (value < 0);
}

// Random strings over a small alphabet, so that searches and comparisons find things.
std::string random_text(std::mt19937& random, size_t maximum_length, const char* alphabet = "abcab\x80\xff")
{
    size_t length = random() % (maximum_length + 1);
    size_t alphabet_size = std::strlen(alphabet);
    std::string text;
    for (size_t index = 0; index < length; ++index)
        text += alphabet[random() % alphabet_size];
    return text;
}

TEST(LibCStrings, memory_functions_match_the_host)
{
    std::mt19937 random(7);
    for (int round = 0; round < 2000; ++round) {
        unsigned char first[64];
        unsigned char second[64];
        for (size_t index = 0; index < sizeof(first); ++index) {
            first[index] = static_cast<unsigned char>(random() % 3 + 0x7E);
            second[index] = static_cast<unsigned char>(random() % 3 + 0x7E);
        }
        size_t count = random() % 65;
        EXPECT_EQ(sign_of(LibC::memcmp(first, second, count)), sign_of(std::memcmp(first, second, count)));
        int wanted = static_cast<int>(random() % 3 + 0x7E);
        EXPECT_EQ(LibC::memchr(first, wanted, count), std::memchr(first, wanted, count));
    }
    // Overlapping moves both ways, against a copy made with the host's memmove.
    for (size_t from = 0; from < 16; ++from) {
        for (size_t to = 0; to < 16; ++to) {
            char mine[32];
            char theirs[32];
            for (size_t index = 0; index < sizeof(mine); ++index)
                mine[index] = theirs[index] = static_cast<char>('a' + index);
            LibC::memmove(mine + to, mine + from, 16);
            std::memmove(theirs + to, theirs + from, 16);
            EXPECT_EQ(std::string(mine, sizeof(mine)), std::string(theirs, sizeof(theirs)));
        }
    }
    char filled[8];
    EXPECT_EQ(LibC::memset(filled, 0x141, sizeof(filled)), filled);
    EXPECT_EQ(std::string(filled, sizeof(filled)), std::string(8, 'A'));
    char copied[8];
    EXPECT_EQ(LibC::memcpy(copied, "abcdefg", 8), copied);
    EXPECT_STREQ(copied, "abcdefg");
}

TEST(LibCStrings, string_functions_match_the_host)
{
    std::mt19937 random(11);
    for (int round = 0; round < 3000; ++round) {
        std::string first = random_text(random, 12);
        std::string second = random_text(random, 12);
        const char* left = first.c_str();
        const char* right = second.c_str();
        size_t limit = random() % 14;
        EXPECT_EQ(LibC::strlen(left), std::strlen(left));
        EXPECT_EQ(LibC::strnlen(left, limit), strnlen(left, limit));
        EXPECT_EQ(sign_of(LibC::strcmp(left, right)), sign_of(std::strcmp(left, right)));
        EXPECT_EQ(sign_of(LibC::strncmp(left, right, limit)), sign_of(std::strncmp(left, right, limit)));
        int character = static_cast<unsigned char>("abc\x80\xff"[random() % 5]);
        EXPECT_EQ(LibC::strchr(left, character), std::strchr(left, character));
        EXPECT_EQ(LibC::strrchr(left, character), std::strrchr(left, character));
        EXPECT_EQ(LibC::strchr(left, 0), std::strchr(left, 0));
        std::string needle = random_text(random, 3);
        EXPECT_EQ(LibC::strstr(left, needle.c_str()), std::strstr(left, needle.c_str()));
        std::string set = random_text(random, 3);
        EXPECT_EQ(LibC::strspn(left, set.c_str()), std::strspn(left, set.c_str()));
        EXPECT_EQ(LibC::strcspn(left, set.c_str()), std::strcspn(left, set.c_str()));
        EXPECT_EQ(LibC::strpbrk(left, set.c_str()), std::strpbrk(left, set.c_str()));
    }
}

TEST(LibCStrings, copies_and_concatenations_match_the_host)
{
    std::mt19937 random(13);
    for (int round = 0; round < 1000; ++round) {
        std::string source = random_text(random, 10);
        size_t count = random() % 14;
        char mine[40];
        char theirs[40];
        std::memset(mine, '#', sizeof(mine));
        std::memset(theirs, '#', sizeof(theirs));
        LibC::strncpy(mine, source.c_str(), count);
        std::strncpy(theirs, source.c_str(), count);
        EXPECT_EQ(std::string(mine, sizeof(mine)), std::string(theirs, sizeof(theirs)));
        std::strcpy(mine, "start-");
        std::strcpy(theirs, "start-");
        LibC::strncat(mine, source.c_str(), count);
        std::strncat(theirs, source.c_str(), count);
        EXPECT_EQ(std::string(mine, sizeof(mine)), std::string(theirs, sizeof(theirs)));
        LibC::strcat(mine, source.c_str());
        std::strcat(theirs, source.c_str());
        EXPECT_EQ(std::string(mine, sizeof(mine)), std::string(theirs, sizeof(theirs)));
        EXPECT_EQ(LibC::strcpy(mine, source.c_str()), mine);
        EXPECT_STREQ(mine, source.c_str());
    }
}

TEST(LibCStrings, strtok_r_splits_as_the_host_does)
{
    std::mt19937 random(17);
    for (int round = 0; round < 1000; ++round) {
        std::string text = random_text(random, 16, "ab, ;");
        std::string separators = random_text(random, 2, ", ;");
        std::vector<char> mine(text.begin(), text.end());
        std::vector<char> theirs(text.begin(), text.end());
        mine.push_back('\0');
        theirs.push_back('\0');
        char* my_state = nullptr;
        char* their_state = nullptr;
        char* my_token = LibC::strtok_r(mine.data(), separators.c_str(), &my_state);
        char* their_token = ::strtok_r(theirs.data(), separators.c_str(), &their_state);
        for (;;) {
            ASSERT_EQ(my_token == nullptr, their_token == nullptr) << text << " by '" << separators << "'";
            if (!my_token)
                break;
            EXPECT_STREQ(my_token, their_token);
            EXPECT_EQ(my_token - mine.data(), their_token - theirs.data());
            my_token = LibC::strtok_r(nullptr, separators.c_str(), &my_state);
            their_token = ::strtok_r(nullptr, separators.c_str(), &their_state);
        }
    }
}

TEST(LibCStrings, character_classes_match_the_c_locale)
{
    for (int character = -1; character < 256; ++character) {
        EXPECT_EQ(LibC::isalpha(character) != 0, std::isalpha(character) != 0) << character;
        EXPECT_EQ(LibC::isdigit(character) != 0, std::isdigit(character) != 0) << character;
        EXPECT_EQ(LibC::isalnum(character) != 0, std::isalnum(character) != 0) << character;
        EXPECT_EQ(LibC::isxdigit(character) != 0, std::isxdigit(character) != 0) << character;
        EXPECT_EQ(LibC::isspace(character) != 0, std::isspace(character) != 0) << character;
        EXPECT_EQ(LibC::isblank(character) != 0, std::isblank(character) != 0) << character;
        EXPECT_EQ(LibC::isupper(character) != 0, std::isupper(character) != 0) << character;
        EXPECT_EQ(LibC::islower(character) != 0, std::islower(character) != 0) << character;
        EXPECT_EQ(LibC::iscntrl(character) != 0, std::iscntrl(character) != 0) << character;
        EXPECT_EQ(LibC::isprint(character) != 0, std::isprint(character) != 0) << character;
        EXPECT_EQ(LibC::isgraph(character) != 0, std::isgraph(character) != 0) << character;
        EXPECT_EQ(LibC::ispunct(character) != 0, std::ispunct(character) != 0) << character;
        EXPECT_EQ(LibC::toupper(character), std::toupper(character)) << character;
        EXPECT_EQ(LibC::tolower(character), std::tolower(character)) << character;
    }
}

// One input through both sides' strtoll, strtoull, strtol and strtoul: values, ends, errno.
void expect_conversions_like_the_host(const char* text, int base)
{
    SCOPED_TRACE(std::string("\"") + text + "\" base " + std::to_string(base));
    if (base < 0 || base == 1 || base > 36) {
        // C leaves such a base undefined; glibc fails with EINVAL and leaves the end as it
        // was. LibC fails the same way and stores the start there, as for no digits.
        char* end = nullptr;
        LibC::ConversionErrors errors;
        EXPECT_EQ(LibC::strtoll(text, &end, base, errors), 0);
        EXPECT_TRUE(errors.base_error);
        EXPECT_EQ(end, text);
        return;
    }
    char* my_end = nullptr;
    char* their_end = nullptr;
    LibC::ConversionErrors errors;
    errno = 0;
    long long theirs_signed = std::strtoll(text, &their_end, base);
    int their_errno = errno;
    long long mine_signed = LibC::strtoll(text, &my_end, base, errors);
    EXPECT_EQ(mine_signed, theirs_signed);
    EXPECT_EQ(my_end, their_end);
    EXPECT_EQ(errors.range_error, their_errno == ERANGE);
    EXPECT_EQ(errors.base_error, their_errno == EINVAL);
    errors = {};
    errno = 0;
    unsigned long long theirs_unsigned = std::strtoull(text, &their_end, base);
    their_errno = errno;
    unsigned long long mine_unsigned = LibC::strtoull(text, &my_end, base, errors);
    EXPECT_EQ(mine_unsigned, theirs_unsigned);
    EXPECT_EQ(my_end, their_end);
    EXPECT_EQ(errors.range_error, their_errno == ERANGE);
    errors = {};
    EXPECT_EQ(LibC::strtol(text, nullptr, base, errors), std::strtol(text, nullptr, base));
    errors = {};
    EXPECT_EQ(LibC::strtoul(text, nullptr, base, errors), std::strtoul(text, nullptr, base));
}

TEST(LibCStrings, integer_conversions_match_the_host)
{
    const char* texts[] = { "0", "42", "-42", "+42", "  \t\n 17xyz", "0x1A", "0X1a", "0x", "0xg", "-0x10",
        "010", "08", "0b101", "z", "Zz", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "18446744073709551615", "18446744073709551616", "-18446744073709551615",
        "-18446744073709551616", "99999999999999999999999", "", "   ", "-", "+", "- 5", "+-5", "1e5",
        "7fffffff" };
    int bases[] = { 0, 2, 8, 10, 16, 36, 1, 37, -1 };
    for (const char* text : texts) {
        for (int base : bases)
            expect_conversions_like_the_host(text, base);
    }
    std::mt19937 random(19);
    for (int round = 0; round < 3000; ++round) {
        std::string text = random_text(random, 24, " -+0123456789abcdefxXzZ");
        expect_conversions_like_the_host(text.c_str(), static_cast<int>(random() % 38));
    }
}

int compare_integers(const void* first, const void* second)
{
    int left = *static_cast<const int*>(first);
    int right = *static_cast<const int*>(second);
    return (left > right) - (left < right);
}

TEST(LibCStrings, qsort_sorts_and_bsearch_finds)
{
    std::mt19937 random(23);
    for (int round = 0; round < 200; ++round) {
        std::vector<int> values(random() % 300);
        for (int& value : values)
            value = static_cast<int>(random() % 50) - 25;
        std::vector<int> expected = values;
        std::sort(expected.begin(), expected.end());
        LibC::qsort(values.data(), values.size(), sizeof(int), compare_integers);
        EXPECT_EQ(values, expected);
        for (int key = -30; key < 30; ++key) {
            void* found = LibC::bsearch(&key, values.data(), values.size(), sizeof(int), compare_integers);
            bool present = std::binary_search(expected.begin(), expected.end(), key);
            EXPECT_EQ(found != nullptr, present);
            if (found)
                EXPECT_EQ(*static_cast<int*>(found), key);
        }
    }
    // Elements of an odd size, sorted by their first byte.
    struct Record {
        unsigned char key;
        char payload[6];
    };
    std::vector<Record> records(100);
    for (size_t index = 0; index < records.size(); ++index)
        records[index] = { static_cast<unsigned char>(random() % 256), { 'r', 'e', 'c', 'o', 'r', 'd' } };
    LibC::qsort(records.data(), records.size(), sizeof(Record), [](const void* first, const void* second) {
        return static_cast<int>(static_cast<const Record*>(first)->key)
            - static_cast<int>(static_cast<const Record*>(second)->key);
    });
    for (size_t index = 1; index < records.size(); ++index)
        EXPECT_LE(records[index - 1].key, records[index].key);
    for (const Record& record : records)
        EXPECT_EQ(std::string(record.payload, 6), "record");
}

} // namespace
