// hexdump [FILE]: the bytes of the file (or standard input) in the canonical layout: the
// offset, 16 bytes in hexadecimal, and the same bytes as text ('.' for what does not print).

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argument_count, char** arguments)
{
    int descriptor = 0;
    if (argument_count > 1) {
        descriptor = open(arguments[1], O_RDONLY);
        if (descriptor < 0) {
            fprintf(stderr, "hexdump: %s: %s\n", arguments[1], strerror(errno));
            return 1;
        }
    }
    unsigned char row[16];
    size_t filled = 0;
    unsigned long long offset = 0;
    auto print_row = [&](size_t count) {
        printf("%08llx  ", offset);
        for (size_t index = 0; index < 16; ++index) {
            if (index < count)
                printf("%02x ", row[index]);
            else
                printf("   ");
            if (index == 7)
                putchar(' ');
        }
        printf(" |");
        for (size_t index = 0; index < count; ++index)
            putchar(row[index] >= 0x20 && row[index] < 0x7F ? row[index] : '.');
        printf("|\n");
        offset += count;
    };
    for (;;) {
        ssize_t received = read(descriptor, row + filled, sizeof(row) - filled);
        if (received < 0) {
            fprintf(stderr, "hexdump: %s\n", strerror(errno));
            return 1;
        }
        if (received == 0)
            break;
        filled += static_cast<size_t>(received);
        if (filled == sizeof(row)) {
            print_row(filled);
            filled = 0;
        }
    }
    if (filled > 0)
        print_row(filled);
    printf("%08llx\n", offset);
    return 0;
}
