#pragma once

// File descriptors: the small integers of read(), write() and close(), each naming one of
//   - a stream: a channel endpoint that carries bytes, one message per write (a pipe, or a
//     terminal session of the console service; docs/userland.md#streams);
//   - an open file: its channel to the file system service that serves it (Files.h);
//   - a file of the initial RAM disk, read-only, in a program without a namespace (Ramdisk.h);
//   - the null device (/dev/null).
// A terminal's line discipline (echo, erase, end of file, ^C) runs here, in the reading
// program, as termios's ICANON, ECHO and ISIG say; the console service only moves bytes.
//
// Errors are errno values (returned negated), so that the C functions can set errno.

#include <stddef.h>
#include <stdint.h>

namespace LibC {

inline constexpr int maximum_descriptors = 64;

// termios flags kept per descriptor (include/termios.h has the C view).
inline constexpr uint32_t terminal_canonical = 1u << 0;
inline constexpr uint32_t terminal_echo = 1u << 1;
inline constexpr uint32_t terminal_signals = 1u << 2;

// Makes `handle` (a stream channel endpoint) descriptor `descriptor`, closing what was there.
// The descriptor owns the handle from then on.
void install_stream(int descriptor, uint32_t handle, bool terminal);
// Makes `descriptor` the null device (a standard stream a program was started without).
void install_null(int descriptor);

// The C calls, with errno values as negative results.
int64_t descriptor_read(int descriptor, void* buffer, size_t count);
int64_t descriptor_write(int descriptor, const void* bytes, size_t count);
int descriptor_close(int descriptor);
int descriptor_duplicate(int descriptor, int lowest);
int descriptor_duplicate_to(int descriptor, int target);
int descriptor_pipe(int descriptors[2]);
int descriptor_open(const char* path, int flags, uint32_t mode);
int64_t descriptor_seek(int descriptor, int64_t offset, int whence);
bool descriptor_is_terminal(int descriptor);
int terminal_flags(int descriptor, uint32_t& flags);
int set_terminal_flags(int descriptor, uint32_t flags);

// For spawning: a new handle to the stream or open file behind `descriptor` (Transfer, so
// it can move into a child), and its launch flags (launch_handle_terminal,
// launch_handle_file). A RAM disk file goes as a pipe holding its rest; the null device has
// no handle: -ENOTSUP, so the child gets nothing there.
int duplicate_stream_handle(int descriptor, uint32_t& handle, uint32_t& launch_flags);
// Makes `handle` (an open file's channel) descriptor `descriptor`; the descriptor owns it.
void install_file(int descriptor, uint32_t handle);
// The open file's channel behind `descriptor` (fstat, fsync, ftruncate, pread, pwrite):
// -EBADF, -ESPIPE for a stream, -EINVAL for anything else.
int descriptor_file(int descriptor, uint32_t& handle);

} // namespace LibC
