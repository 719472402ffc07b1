#pragma once

// dirent.h: reading directories of the RAM disk. Userland/LibC/Unix.cpp.

#include <sys/types.h>

#define DT_REG 8
#define DT_DIR 4
#define DT_LNK 10

#ifdef __cplusplus
extern "C" {
#endif

struct dirent {
    unsigned char d_type;
    char d_name[256];
};

typedef struct raeen_directory DIR;

DIR* opendir(const char* path);
struct dirent* readdir(DIR* directory);
int closedir(DIR* directory);

#ifdef __cplusplus
}
#endif
