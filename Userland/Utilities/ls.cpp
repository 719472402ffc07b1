// ls [-l] [-a] [PATH...]: the entries of each directory, sorted (a file is listed as itself);
// names starting with '.' only with -a; -l adds the type, permissions, links, size and
// modification time, and a symbolic link's target.

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace {

bool s_long;
bool s_all;

int compare_names(const void* first, const void* second)
{
    return strcmp(static_cast<const dirent*>(first)->d_name, static_cast<const dirent*>(second)->d_name);
}

void print_entry(const char* directory, const char* name)
{
    if (!s_long) {
        printf("%s\n", name);
        return;
    }
    char path[520];
    snprintf(path, sizeof(path), "%s/%s", directory, name);
    struct stat status { };
    if (lstat(path, &status) != 0) {
        printf("?????????? %8s %s\n", "?", name);
        return;
    }
    char mode[11];
    mode[0] = S_ISDIR(status.st_mode) ? 'd' : S_ISLNK(status.st_mode) ? 'l' : '-';
    const char letters[] = "rwxrwxrwx";
    for (int bit = 0; bit < 9; ++bit)
        mode[1 + bit] = (status.st_mode & (0400 >> bit)) ? letters[bit] : '-';
    mode[10] = 0;
    char when[32] = "";
    time_t modified = status.st_mtime;
    struct tm calendar { };
    if (gmtime_r(&modified, &calendar))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &calendar);
    char target[256] = "";
    if (S_ISLNK(status.st_mode)) {
        ssize_t length = readlink(path, target + 4, sizeof(target) - 5);
        if (length >= 0) {
            memcpy(target, " -> ", 4);
            target[4 + length] = 0;
        }
    }
    printf("%s %2llu %8lld %s %s%s\n", mode, static_cast<unsigned long long>(status.st_nlink),
        static_cast<long long>(status.st_size), when, name, target);
}

bool list(const char* path, bool with_heading)
{
    struct stat status { };
    if (stat(path, &status) != 0) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return false;
    }
    if (!S_ISDIR(status.st_mode)) {
        print_entry(".", path);
        return true;
    }
    DIR* directory = opendir(path);
    if (!directory) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return false;
    }
    dirent* entries = nullptr;
    size_t count = 0;
    while (dirent* entry = readdir(directory)) {
        auto* grown = static_cast<dirent*>(realloc(entries, (count + 1) * sizeof(dirent)));
        if (!grown)
            break;
        entries = grown;
        entries[count++] = *entry;
    }
    closedir(directory);
    qsort(entries, count, sizeof(dirent), compare_names);
    if (with_heading)
        printf("%s:\n", path);
    for (size_t index = 0; index < count; ++index) {
        if (entries[index].d_name[0] == '.' && !s_all)
            continue;
        print_entry(path, entries[index].d_name);
    }
    free(entries);
    return true;
}

} // namespace

int main(int argument_count, char** arguments)
{
    int option;
    while ((option = getopt(argument_count, arguments, "la")) != -1) {
        if (option == 'l')
            s_long = true;
        else if (option == 'a')
            s_all = true;
        else
            return 2;
    }
    int paths = argument_count - optind;
    if (paths == 0)
        return list(".", false) ? 0 : 1;
    int status = 0;
    for (int index = optind; index < argument_count; ++index) {
        if (!list(arguments[index], paths > 1))
            status = 1;
    }
    return status;
}
