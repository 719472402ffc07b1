// df [-h] [-k] [-T] [FILE...]: each mounted file system's size, use and free space, as GNU df
// prints them: `Filesystem 1K-blocks Used Available Use% Mounted on`, one line per mount of
// this program's namespace (raeen_mounts), or per file system holding each FILE. Sizes are
// in 1024-byte blocks, rounded up; -h prints them in powers of 1024 (K, M, G, ...) as GNU's
// -h does. Use% is used / (used + available), rounded up, "-" for a file system without
// blocks. -T adds the type. Status 0, or 1 if a FILE could not be found.

#include <errno.h>
#include <raeen/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr int maximum_mounts = 64;
constexpr int column_count = 7;
constexpr int maximum_rows = maximum_mounts + 1;
constexpr size_t cell_capacity = 200;

enum Column { Source, Type, Size, Used, Available, Percent, Target };

struct ColumnFormat {
    size_t minimum_width; // GNU df's
    bool align_right;
};

constexpr ColumnFormat formats[column_count] = {
    { 14, false },
    { 4, false },
    { 5, true },
    { 5, true },
    { 5, true },
    { 4, true },
    { 0, false },
};

bool s_human;
bool s_show_type;
char s_cells[maximum_rows][column_count][cell_capacity];
int s_row_count;

uint64_t divide_rounding_up(uint64_t value, uint64_t divisor)
{
    return value / divisor + (value % divisor != 0 ? 1 : 0);
}

// A byte count as GNU's -h prints it: the largest power of 1024 that leaves a number under
// 1024, rounded up; one decimal below 10 ("7.8G"), whole numbers above ("128M").
void human_size(uint64_t bytes, char* text, size_t capacity)
{
    static const char suffixes[] = "KMGTPE";
    if (bytes < 1024) {
        snprintf(text, capacity, "%llu", static_cast<unsigned long long>(bytes));
        return;
    }
    int exponent = 1;
    uint64_t divisor = 1024;
    while (exponent < 6 && bytes / divisor >= 1024) {
        divisor *= 1024;
        ++exponent;
    }
    for (;;) {
        if (bytes / divisor < 10) {
            // bytes < 10 * divisor here, so bytes * 10 fits.
            uint64_t tenths = divide_rounding_up(bytes * 10, divisor);
            if (tenths < 100) {
                snprintf(text, capacity, "%llu.%llu%c", static_cast<unsigned long long>(tenths / 10),
                    static_cast<unsigned long long>(tenths % 10), suffixes[exponent - 1]);
                return;
            }
        }
        uint64_t whole = divide_rounding_up(bytes, divisor);
        if (whole < 1024 || exponent == 6) {
            snprintf(
                text, capacity, "%llu%c", static_cast<unsigned long long>(whole), suffixes[exponent - 1]);
            return;
        }
        // Rounding up reached the next unit: 1.0 of it.
        divisor *= 1024;
        ++exponent;
    }
}

void format_size(uint64_t blocks, uint32_t block_size, char* text, size_t capacity)
{
    // Sizes past 16 EiB are not real; they are shown as the largest.
    uint64_t bytes = block_size != 0 && blocks > UINT64_MAX / block_size ? UINT64_MAX : blocks * block_size;
    if (s_human) {
        human_size(bytes, text, capacity);
        return;
    }
    snprintf(text, capacity, "%llu", static_cast<unsigned long long>(divide_rounding_up(bytes, 1024)));
}

void set_cell(int row, Column column, const char* text)
{
    snprintf(s_cells[row][column], cell_capacity, "%s", text);
}

void add_row(const raeen_mount_entry& entry)
{
    int row = s_row_count++;
    set_cell(row, Source, entry.source);
    set_cell(row, Type, entry.type);
    set_cell(row, Target, entry.mount_point);
    uint64_t free_blocks = entry.free_blocks < entry.total_blocks ? entry.free_blocks : entry.total_blocks;
    uint64_t used_blocks = entry.total_blocks - free_blocks;
    format_size(entry.total_blocks, entry.block_size, s_cells[row][Size], cell_capacity);
    format_size(used_blocks, entry.block_size, s_cells[row][Used], cell_capacity);
    format_size(free_blocks, entry.block_size, s_cells[row][Available], cell_capacity);
    uint64_t counted = used_blocks + free_blocks;
    if (counted == 0) {
        set_cell(row, Percent, "-");
    } else {
        // Scaled down first where used * 100 would not fit.
        uint64_t scale = used_blocks > UINT64_MAX / 100 ? 100 : 1;
        snprintf(s_cells[row][Percent], cell_capacity, "%llu%%",
            static_cast<unsigned long long>(divide_rounding_up(used_blocks / scale * 100, counted / scale)));
    }
}

void print_table()
{
    size_t widths[column_count];
    for (int column = 0; column < column_count; ++column) {
        widths[column] = formats[column].minimum_width;
        for (int row = 0; row < s_row_count; ++row) {
            size_t length = strlen(s_cells[row][column]);
            if (length > widths[column])
                widths[column] = length;
        }
    }
    for (int row = 0; row < s_row_count; ++row) {
        bool first = true;
        for (int column = 0; column < column_count; ++column) {
            if (column == Type && !s_show_type)
                continue;
            if (!first)
                putchar(' ');
            first = false;
            int width = static_cast<int>(widths[column]);
            if (column == Target)
                printf("%s", s_cells[row][column]); // the last column is not padded
            else if (formats[column].align_right)
                printf("%*s", width, s_cells[row][column]);
            else
                printf("%-*s", width, s_cells[row][column]);
        }
        putchar('\n');
    }
}

} // namespace

int main(int argument_count, char** arguments)
{
    int option;
    while ((option = getopt(argument_count, arguments, "hkT")) != -1) {
        if (option == 'h')
            s_human = true;
        else if (option == 'k')
            s_human = false;
        else if (option == 'T')
            s_show_type = true;
        else
            return 2;
    }
    static raeen_mount_entry entries[maximum_mounts];
    int count = raeen_mounts(entries, maximum_mounts);
    if (count < 0) {
        fprintf(stderr, "df: cannot list the mounts: %s\n", strerror(errno));
        return 1;
    }
    if (count > maximum_mounts)
        count = maximum_mounts;

    set_cell(0, Source, "Filesystem");
    set_cell(0, Type, "Type");
    set_cell(0, Size, s_human ? "Size" : "1K-blocks");
    set_cell(0, Used, "Used");
    set_cell(0, Available, s_human ? "Avail" : "Available");
    set_cell(0, Percent, "Use%");
    set_cell(0, Target, "Mounted on");
    s_row_count = 1;

    int status = 0;
    if (optind == argument_count) {
        for (int index = 0; index < count; ++index)
            add_row(entries[index]);
    }
    for (int index = optind; index < argument_count && s_row_count < maximum_rows; ++index) {
        struct stat file_status { };
        if (stat(arguments[index], &file_status) != 0) {
            fprintf(stderr, "df: %s: %s\n", arguments[index], strerror(errno));
            status = 1;
            continue;
        }
        int found = -1;
        for (int mount = 0; mount < count; ++mount) {
            if (entries[mount].device == file_status.st_dev)
                found = mount;
        }
        if (found < 0) {
            fprintf(stderr, "df: %s: cannot find the file system it is on\n", arguments[index]);
            status = 1;
            continue;
        }
        add_row(entries[found]);
    }
    if (s_row_count > 1 || status == 0)
        print_table();
    return status;
}
