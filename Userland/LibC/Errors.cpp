// strerror, strdup, unlink and rename (through the VFS; without a namespace the read-only
// RAM disk refuses them).

#include <Userland/LibC/Files.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/stdio.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/LibC/include/string.h>

namespace {

struct ErrorMessage {
    int error;
    const char* message;
};

constexpr ErrorMessage messages[] = {
    { 0, "Success" },
    { EPERM, "Operation not permitted" },
    { ENOENT, "No such file or directory" },
    { ESRCH, "No such process" },
    { EINTR, "Interrupted system call" },
    { EIO, "Input/output error" },
    { E2BIG, "Argument list too long" },
    { ENOEXEC, "Exec format error" },
    { EBADF, "Bad file descriptor" },
    { ECHILD, "No child processes" },
    { EAGAIN, "Resource temporarily unavailable" },
    { ENOMEM, "Cannot allocate memory" },
    { EACCES, "Permission denied" },
    { EFAULT, "Bad address" },
    { EBUSY, "Device or resource busy" },
    { EEXIST, "File exists" },
    { ENODEV, "No such device" },
    { ENOTDIR, "Not a directory" },
    { ELOOP, "Too many levels of symbolic links" },
    { EISDIR, "Is a directory" },
    { EINVAL, "Invalid argument" },
    { EXDEV, "Invalid cross-device link" },
    { ENFILE, "Too many open files in system" },
    { EMFILE, "Too many open files" },
    { EFBIG, "File too large" },
    { ENOTTY, "Inappropriate ioctl for device" },
    { ENOSPC, "No space left on device" },
    { ESPIPE, "Illegal seek" },
    { EROFS, "Read-only file system" },
    { EPIPE, "Broken pipe" },
    { EDOM, "Numerical argument out of domain" },
    { ERANGE, "Numerical result out of range" },
    { EDEADLK, "Resource deadlock avoided" },
    { ENAMETOOLONG, "File name too long" },
    { ENOSYS, "Function not implemented" },
    { ENOTEMPTY, "Directory not empty" },
    { EOVERFLOW, "Value too large for defined data type" },
    { EILSEQ, "Invalid or incomplete multibyte or wide character" },
    { ENOTSUP, "Operation not supported" },
    { ETIMEDOUT, "Connection timed out" },
};

int refuse_change(const char* path)
{
    LibC::RamdiskNode node;
    int found = LibC::ramdisk_lookup(path, node);
    errno = found < 0 ? -found : EROFS;
    return -1;
}

} // namespace

extern "C" {

char* strerror(int error)
{
    for (const ErrorMessage& entry : messages) {
        if (entry.error == error)
            return const_cast<char*>(entry.message);
    }
    return const_cast<char*>("Unknown error");
}

char* strdup(const char* text)
{
    size_t length = LibC::strlen(text) + 1;
    char* copy = static_cast<char*>(malloc(length));
    if (!copy) {
        errno = ENOMEM;
        return nullptr;
    }
    LibC::memcpy(copy, text, length);
    return copy;
}

int unlink(const char* path)
{
    if (!LibC::files_available())
        return refuse_change(path);
    int result = LibC::path_remove(path, false);
    if (result < 0) {
        errno = -result;
        return -1;
    }
    return 0;
}

int rename(const char* from, const char* to)
{
    if (!LibC::files_available())
        return refuse_change(from);
    int result = LibC::path_rename(from, to);
    if (result < 0) {
        errno = -result;
        return -1;
    }
    return 0;
}

} // extern "C"
