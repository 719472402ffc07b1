#pragma once

// stdio.h (C17 7.21): formatting (Userland/LibC/Formatting.cpp), scanning
// (Userland/LibC/Scanning.cpp) and streams over descriptors (Userland/LibC/StandardIo.cpp).

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct raeen_file FILE;

#define EOF (-1)
#define BUFSIZ 4096
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2

extern FILE* stdin;
extern FILE* stdout;
extern FILE* stderr;

FILE* fopen(const char* path, const char* mode);
FILE* fdopen(int descriptor, const char* mode);
int fclose(FILE* stream);
int fflush(FILE* stream);
int setvbuf(FILE* stream, char* buffer, int mode, size_t size);
void setbuf(FILE* stream, char* buffer);

size_t fread(void* buffer, size_t size, size_t count, FILE* stream);
size_t fwrite(const void* bytes, size_t size, size_t count, FILE* stream);
int fgetc(FILE* stream);
int getc(FILE* stream);
int getchar(void);
int ungetc(int character, FILE* stream);
char* fgets(char* buffer, int size, FILE* stream);
ssize_t getline(char** line, size_t* capacity, FILE* stream);
ssize_t getdelim(char** line, size_t* capacity, int delimiter, FILE* stream);
int fputc(int character, FILE* stream);
int putc(int character, FILE* stream);
int putchar(int character);
int fputs(const char* text, FILE* stream);
int puts(const char* text);

int printf(const char* format, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE* stream, const char* format, ...) __attribute__((format(printf, 2, 3)));
int dprintf(int descriptor, const char* format, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char* buffer, const char* format, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char* buffer, size_t capacity, const char* format, ...) __attribute__((format(printf, 3, 4)));
int vprintf(const char* format, va_list arguments) __attribute__((format(printf, 1, 0)));
int vfprintf(FILE* stream, const char* format, va_list arguments) __attribute__((format(printf, 2, 0)));
int vdprintf(int descriptor, const char* format, va_list arguments) __attribute__((format(printf, 2, 0)));
int vsprintf(char* buffer, const char* format, va_list arguments) __attribute__((format(printf, 2, 0)));
int vsnprintf(char* buffer, size_t capacity, const char* format, va_list arguments)
    __attribute__((format(printf, 3, 0)));

int scanf(const char* format, ...) __attribute__((format(scanf, 1, 2)));
int fscanf(FILE* stream, const char* format, ...) __attribute__((format(scanf, 2, 3)));
int sscanf(const char* text, const char* format, ...) __attribute__((format(scanf, 2, 3)));
int vscanf(const char* format, va_list arguments) __attribute__((format(scanf, 1, 0)));
int vfscanf(FILE* stream, const char* format, va_list arguments) __attribute__((format(scanf, 2, 0)));
int vsscanf(const char* text, const char* format, va_list arguments) __attribute__((format(scanf, 2, 0)));

int feof(FILE* stream);
int ferror(FILE* stream);
void clearerr(FILE* stream);
int fileno(FILE* stream);
void perror(const char* prefix);

// The RAM disk is read-only: EROFS for files that exist, ENOENT for those that do not.
int remove(const char* path);
int rename(const char* from, const char* to);

#ifdef __cplusplus
}
#endif
