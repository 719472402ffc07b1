// stdio.h's streams: FILE over a descriptor (Descriptors.cpp), with a buffer. stdout is
// line-buffered when it is a terminal and fully buffered otherwise; stderr is unbuffered;
// exit() flushes every open stream (raeen_flush_streams).

#include <Userland/LibC/Descriptors.h>
#include <Userland/LibC/Formatting.h>
#include <Userland/LibC/Lock.h>
#include <Userland/LibC/Scanning.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/fcntl.h>
#include <Userland/LibC/include/stdio.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/LibC/include/string.h>
#include <Userland/LibC/include/unistd.h>

struct raeen_file {
    int descriptor;
    bool readable;
    bool writable;
    int buffering; // _IOFBF, _IOLBF, _IONBF; -1 until the first use decides
    bool end_of_file;
    bool error;
    char* buffer;
    size_t capacity;
    // Reading: buffer[read_position, read_end) is what was read and not yet taken.
    size_t read_position;
    size_t read_end;
    // Writing: buffer[0, write_count) waits to be written.
    size_t write_count;
    int pushed_back; // ungetc's character, or EOF
    raeen_file* next_open; // the list exit() flushes
    bool is_standard;
    // The buffer came from malloc (fclose and setvbuf free it), not from the program or a
    // static array.
    bool owns_buffer;
    // Held by every stdio call on the stream for its whole length, so that threads writing
    // to one stream do not tear its buffer (POSIX's flockfile).
    LibC::FutexLock lock;
};

namespace {

constexpr size_t buffer_size = 4096;

char s_input_buffer[buffer_size];
char s_output_buffer[buffer_size];

raeen_file s_standard_input { 0, true, false, -1, false, false, s_input_buffer, buffer_size, 0, 0, 0, EOF,
    nullptr, true, false, {} };
raeen_file s_standard_output { 1, false, true, -1, false, false, s_output_buffer, buffer_size, 0, 0, 0, EOF,
    nullptr, true, false, {} };
raeen_file s_standard_error { 2, false, true, _IONBF, false, false, nullptr, 0, 0, 0, 0, EOF, nullptr, true,
    false, {} };

// Holds a stream's lock for its scope.
class StreamLocker {
public:
    explicit StreamLocker(FILE* stream)
        : m_stream(stream)
    {
        m_stream->lock.lock();
    }
    ~StreamLocker() { m_stream->lock.unlock(); }
    StreamLocker(const StreamLocker&) = delete;
    StreamLocker& operator=(const StreamLocker&) = delete;

private:
    FILE* m_stream;
};

// Streams fopen made, for exit()'s flush.
raeen_file* s_open_streams;
constinit LibC::FutexLock s_open_streams_lock;

void decide_buffering(FILE* stream)
{
    if (stream->buffering >= 0)
        return;
    stream->buffering = isatty(stream->descriptor) ? _IOLBF : _IOFBF;
}

bool write_all(FILE* stream, const char* bytes, size_t count)
{
    while (count > 0) {
        ssize_t written = write(stream->descriptor, bytes, count);
        if (written <= 0) {
            stream->error = true;
            return false;
        }
        bytes += written;
        count -= static_cast<size_t>(written);
    }
    return true;
}

bool flush_writes(FILE* stream)
{
    if (stream->write_count == 0)
        return true;
    size_t count = stream->write_count;
    stream->write_count = 0;
    return write_all(stream, stream->buffer, count);
}

// Puts bytes into the stream's buffer, writing it out as its buffering says.
size_t put_bytes(FILE* stream, const char* bytes, size_t count)
{
    if (!stream->writable) {
        stream->error = true;
        errno = EBADF;
        return 0;
    }
    decide_buffering(stream);
    // Reading and writing share the buffer: what was read ahead is dropped.
    stream->read_position = stream->read_end = 0;
    if (stream->buffering == _IONBF || !stream->buffer)
        return write_all(stream, bytes, count) ? count : 0;
    size_t done = 0;
    while (done < count) {
        size_t room = stream->capacity - stream->write_count;
        size_t step = count - done < room ? count - done : room;
        LibC::memcpy(stream->buffer + stream->write_count, bytes + done, step);
        stream->write_count += step;
        done += step;
        if (stream->write_count == stream->capacity && !flush_writes(stream))
            return done;
    }
    if (stream->buffering == _IOLBF && LibC::memchr(bytes, '\n', count) && !flush_writes(stream))
        return count;
    return count;
}

// Fills the read buffer; false at end of file or on an error (flags set).
bool refill(FILE* stream)
{
    if (!stream->readable) {
        stream->error = true;
        errno = EBADF;
        return false;
    }
    // Output waiting on stdout is shown before a program waits for input.
    if (stream == &s_standard_input)
        (void)fflush(&s_standard_output);
    if (!flush_writes(stream))
        return false;
    ssize_t received = read(stream->descriptor, stream->buffer, stream->capacity);
    if (received < 0) {
        stream->error = true;
        return false;
    }
    if (received == 0) {
        stream->end_of_file = true;
        return false;
    }
    stream->read_position = 0;
    stream->read_end = static_cast<size_t>(received);
    return true;
}

int take_byte(FILE* stream)
{
    if (stream->pushed_back != EOF) {
        int character = stream->pushed_back;
        stream->pushed_back = EOF;
        return character;
    }
    if (stream->read_position == stream->read_end && !refill(stream))
        return EOF;
    return static_cast<unsigned char>(stream->buffer[stream->read_position++]);
}

int unget_byte(int character, FILE* stream)
{
    if (character == EOF || stream->pushed_back != EOF)
        return EOF;
    stream->pushed_back = static_cast<unsigned char>(character);
    stream->end_of_file = false;
    return stream->pushed_back;
}

class StreamSink final : public LibC::OutputSink {
public:
    explicit StreamSink(FILE* stream)
        : m_stream(stream)
    {
    }
    void write(const char* characters, size_t count) override
    {
        (void)put_bytes(m_stream, characters, count);
    }

private:
    FILE* m_stream;
};

// scanf's input from a stream, with ungetc's one character of push-back.
class StreamSource final : public LibC::InputSource {
public:
    explicit StreamSource(FILE* stream)
        : m_stream(stream)
    {
    }
    int get() override { return take_byte(m_stream); }
    void unget(int character) override { (void)unget_byte(character, m_stream); }

private:
    FILE* m_stream;
};

class DescriptorSink final : public LibC::OutputSink {
public:
    explicit DescriptorSink(int descriptor)
        : m_descriptor(descriptor)
    {
    }
    void write(const char* characters, size_t count) override
    {
        (void)::write(m_descriptor, characters, count);
    }

private:
    int m_descriptor;
};

int parse_mode(const char* mode, bool& readable, bool& writable)
{
    if (!mode)
        return -1;
    bool plus = LibC::strchr(mode, '+') != nullptr;
    switch (mode[0]) {
    case 'r':
        readable = true;
        writable = plus;
        return plus ? O_RDWR : O_RDONLY;
    case 'w':
        readable = plus;
        writable = true;
        return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
    case 'a':
        readable = plus;
        writable = true;
        return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
    default:
        return -1;
    }
}

} // namespace

extern "C" {

FILE* stdin = &s_standard_input;
FILE* stdout = &s_standard_output;
FILE* stderr = &s_standard_error;

FILE* fdopen(int descriptor, const char* mode)
{
    bool readable = false;
    bool writable = false;
    if (parse_mode(mode, readable, writable) < 0) {
        errno = EINVAL;
        return nullptr;
    }
    auto* stream = static_cast<FILE*>(calloc(1, sizeof(FILE)));
    char* buffer = static_cast<char*>(malloc(buffer_size));
    if (!stream || !buffer) {
        free(stream);
        free(buffer);
        errno = ENOMEM;
        return nullptr;
    }
    *stream = raeen_file { descriptor, readable, writable, -1, false, false, buffer, buffer_size, 0, 0, 0,
        EOF, nullptr, false, true, {} };
    LibC::FutexLocker locker(s_open_streams_lock);
    stream->next_open = s_open_streams;
    s_open_streams = stream;
    return stream;
}

FILE* fopen(const char* path, const char* mode)
{
    bool readable = false;
    bool writable = false;
    int flags = parse_mode(mode, readable, writable);
    if (flags < 0) {
        errno = EINVAL;
        return nullptr;
    }
    int descriptor = open(path, flags, 0666);
    if (descriptor < 0)
        return nullptr;
    FILE* stream = fdopen(descriptor, mode);
    if (!stream)
        (void)close(descriptor);
    return stream;
}

int fflush(FILE* stream)
{
    if (!stream) {
        // Lock order: the list, then each stream.
        int result = fflush(stdout);
        LibC::FutexLocker locker(s_open_streams_lock);
        for (FILE* open = s_open_streams; open; open = open->next_open) {
            if (fflush(open) != 0)
                result = EOF;
        }
        return result;
    }
    StreamLocker locker(stream);
    return flush_writes(stream) ? 0 : EOF;
}

int fclose(FILE* stream)
{
    int result = 0;
    {
        StreamLocker locker(stream);
        if (!flush_writes(stream))
            result = EOF;
        if (close(stream->descriptor) != 0)
            result = EOF;
        if (stream->is_standard) {
            stream->descriptor = -1;
            return result;
        }
    }
    {
        LibC::FutexLocker locker(s_open_streams_lock);
        for (FILE** link = &s_open_streams; *link; link = &(*link)->next_open) {
            if (*link == stream) {
                *link = stream->next_open;
                break;
            }
        }
    }
    if (stream->owns_buffer)
        free(stream->buffer);
    free(stream);
    return result;
}

void raeen_flush_streams(void)
{
    (void)fflush(nullptr);
}

int setvbuf(FILE* stream, char* buffer, int mode, size_t size)
{
    if (mode != _IOFBF && mode != _IOLBF && mode != _IONBF) {
        errno = EINVAL;
        return -1;
    }
    StreamLocker locker(stream);
    (void)flush_writes(stream);
    stream->buffering = mode;
    if (buffer && size > 0) {
        // The program's buffer from now on: the stream's own is freed, and the program's
        // is never freed by the library.
        if (stream->owns_buffer)
            free(stream->buffer);
        stream->buffer = buffer;
        stream->capacity = size;
        stream->owns_buffer = false;
        stream->read_position = stream->read_end = 0;
        stream->write_count = 0;
    }
    return 0;
}

void setbuf(FILE* stream, char* buffer)
{
    (void)setvbuf(stream, buffer, buffer ? _IOFBF : _IONBF, BUFSIZ);
}

size_t fwrite(const void* bytes, size_t size, size_t count, FILE* stream)
{
    StreamLocker locker(stream);
    if (size == 0 || count == 0)
        return 0;
    size_t total = size * count;
    return put_bytes(stream, static_cast<const char*>(bytes), total) / size;
}

size_t fread(void* buffer, size_t size, size_t count, FILE* stream)
{
    StreamLocker locker(stream);
    if (size == 0 || count == 0)
        return 0;
    size_t total = size * count;
    auto* bytes = static_cast<unsigned char*>(buffer);
    size_t done = 0;
    while (done < total) {
        int character = take_byte(stream);
        if (character == EOF)
            break;
        bytes[done++] = static_cast<unsigned char>(character);
        // Take whatever else is buffered in one copy.
        size_t buffered = stream->read_end - stream->read_position;
        size_t step = total - done < buffered ? total - done : buffered;
        LibC::memcpy(bytes + done, stream->buffer + stream->read_position, step);
        stream->read_position += step;
        done += step;
    }
    return done / size;
}

int fgetc(FILE* stream)
{
    StreamLocker locker(stream);
    return take_byte(stream);
}

int getc(FILE* stream)
{
    StreamLocker locker(stream);
    return take_byte(stream);
}

int getchar(void)
{
    StreamLocker locker(stdin);
    return take_byte(stdin);
}

int ungetc(int character, FILE* stream)
{
    StreamLocker locker(stream);
    return unget_byte(character, stream);
}

char* fgets(char* buffer, int size, FILE* stream)
{
    StreamLocker locker(stream);
    if (size <= 0)
        return nullptr;
    int length = 0;
    while (length < size - 1) {
        int character = take_byte(stream);
        if (character == EOF)
            break;
        buffer[length++] = static_cast<char>(character);
        if (character == '\n')
            break;
    }
    if (length == 0)
        return nullptr;
    buffer[length] = 0;
    return buffer;
}

ssize_t getdelim(char** line, size_t* capacity, int delimiter, FILE* stream)
{
    StreamLocker locker(stream);
    if (!line || !capacity) {
        errno = EINVAL;
        return -1;
    }
    size_t length = 0;
    for (;;) {
        int character = take_byte(stream);
        if (character == EOF)
            break;
        if (length + 2 > *capacity) {
            size_t grown = *capacity ? *capacity * 2 : 128;
            char* bigger = static_cast<char*>(realloc(*line, grown));
            if (!bigger) {
                errno = ENOMEM;
                return -1;
            }
            *line = bigger;
            *capacity = grown;
        }
        (*line)[length++] = static_cast<char>(character);
        if (character == delimiter)
            break;
    }
    if (length == 0)
        return -1;
    (*line)[length] = 0;
    return static_cast<ssize_t>(length);
}

ssize_t getline(char** line, size_t* capacity, FILE* stream)
{
    return getdelim(line, capacity, '\n', stream);
}

int fputc(int character, FILE* stream)
{
    StreamLocker locker(stream);
    char byte = static_cast<char>(character);
    return put_bytes(stream, &byte, 1) == 1 ? static_cast<unsigned char>(byte) : EOF;
}

int putc(int character, FILE* stream)
{
    return fputc(character, stream);
}

int putchar(int character)
{
    return fputc(character, stdout);
}

int fputs(const char* text, FILE* stream)
{
    StreamLocker locker(stream);
    size_t length = LibC::strlen(text);
    return put_bytes(stream, text, length) == length ? 0 : EOF;
}

int puts(const char* text)
{
    // One lock for the line and its newline, so that another thread's output cannot come
    // between them.
    StreamLocker locker(stdout);
    size_t length = LibC::strlen(text);
    if (put_bytes(stdout, text, length) != length)
        return EOF;
    return put_bytes(stdout, "\n", 1) == 1 ? 0 : EOF;
}

int vfprintf(FILE* stream, const char* format, va_list arguments)
{
    StreamLocker locker(stream);
    StreamSink sink(stream);
    int length = LibC::format(sink, format, arguments);
    if (length < 0)
        errno = EINVAL;
    return stream->error ? -1 : length;
}

int fprintf(FILE* stream, const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int length = vfprintf(stream, format, arguments);
    va_end(arguments);
    return length;
}

int vprintf(const char* format, va_list arguments)
{
    return vfprintf(stdout, format, arguments);
}

int printf(const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int length = vfprintf(stdout, format, arguments);
    va_end(arguments);
    return length;
}

int vdprintf(int descriptor, const char* format, va_list arguments)
{
    DescriptorSink sink(descriptor);
    int length = LibC::format(sink, format, arguments);
    if (length < 0)
        errno = EINVAL;
    return length;
}

int dprintf(int descriptor, const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int length = vdprintf(descriptor, format, arguments);
    va_end(arguments);
    return length;
}

int vsprintf(char* buffer, const char* format, va_list arguments)
{
    return vsnprintf(buffer, static_cast<size_t>(-1) >> 1, format, arguments);
}

int sprintf(char* buffer, const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int length = vsprintf(buffer, format, arguments);
    va_end(arguments);
    return length;
}

int vfscanf(FILE* stream, const char* format, va_list arguments)
{
    StreamLocker locker(stream);
    StreamSource source(stream);
    int result = LibC::scan(source, format, arguments);
    if (result == -2) {
        errno = EINVAL;
        return EOF;
    }
    return result;
}

int fscanf(FILE* stream, const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int result = vfscanf(stream, format, arguments);
    va_end(arguments);
    return result;
}

int vscanf(const char* format, va_list arguments)
{
    return vfscanf(stdin, format, arguments);
}

int scanf(const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int result = vfscanf(stdin, format, arguments);
    va_end(arguments);
    return result;
}

int feof(FILE* stream)
{
    StreamLocker locker(stream);
    return stream->end_of_file;
}

int ferror(FILE* stream)
{
    StreamLocker locker(stream);
    return stream->error;
}

void clearerr(FILE* stream)
{
    StreamLocker locker(stream);
    stream->end_of_file = false;
    stream->error = false;
}

int fileno(FILE* stream)
{
    return stream->descriptor;
}

void perror(const char* prefix)
{
    const char* message = strerror(errno);
    if (prefix && *prefix)
        (void)fprintf(stderr, "%s: %s\n", prefix, message);
    else
        (void)fprintf(stderr, "%s\n", message);
}

int remove(const char* path)
{
    return unlink(path);
}

} // extern "C"
