// wc [-l] [-w] [-c] [FILE...]: lines, words and bytes of each file (standard input for none).

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

namespace {

struct Counts {
    long long lines;
    long long words;
    long long bytes;
};

bool s_lines, s_words, s_bytes;

bool count(int descriptor, Counts& counts)
{
    static char buffer[8192];
    bool in_word = false;
    for (;;) {
        ssize_t received = read(descriptor, buffer, sizeof(buffer));
        if (received < 0)
            return false;
        if (received == 0)
            return true;
        for (ssize_t index = 0; index < received; ++index) {
            char character = buffer[index];
            ++counts.bytes;
            if (character == '\n')
                ++counts.lines;
            bool space = character == ' ' || character == '\n' || character == '\t' || character == '\r'
                || character == '\v' || character == '\f';
            if (!space && !in_word)
                ++counts.words;
            in_word = !space;
        }
    }
}

void print(const Counts& counts, const char* name)
{
    if (s_lines)
        printf("%7lld ", counts.lines);
    if (s_words)
        printf("%7lld ", counts.words);
    if (s_bytes)
        printf("%7lld ", counts.bytes);
    printf("%s\n", name ? name : "");
}

} // namespace

int main(int argument_count, char** arguments)
{
    int option;
    while ((option = getopt(argument_count, arguments, "lwc")) != -1) {
        if (option == 'l')
            s_lines = true;
        else if (option == 'w')
            s_words = true;
        else if (option == 'c')
            s_bytes = true;
        else
            return 2;
    }
    if (!s_lines && !s_words && !s_bytes)
        s_lines = s_words = s_bytes = true;
    if (optind == argument_count) {
        Counts counts {};
        if (!count(0, counts))
            return 1;
        print(counts, nullptr);
        return 0;
    }
    int status = 0;
    Counts total {};
    for (int index = optind; index < argument_count; ++index) {
        int descriptor = open(arguments[index], O_RDONLY);
        Counts counts {};
        if (descriptor < 0 || !count(descriptor, counts)) {
            fprintf(stderr, "wc: %s: %s\n", arguments[index], strerror(errno));
            status = 1;
            if (descriptor >= 0)
                close(descriptor);
            continue;
        }
        close(descriptor);
        print(counts, arguments[index]);
        total.lines += counts.lines;
        total.words += counts.words;
        total.bytes += counts.bytes;
    }
    if (argument_count - optind > 1)
        print(total, "total");
    return status;
}
