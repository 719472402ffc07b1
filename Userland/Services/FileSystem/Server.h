#pragma once

// Serving a file system (Backend.h) on the node protocol to the VFS and on the file
// protocol to each open file's channel (Protocol.h). One thread, one port: the VFS's
// channel and every open file's channel are bound to it, one-shot, and bound again after
// each wake, so a file channel its holders closed is forgotten at once.
//
// Every file system service is main() = open the volume, then serve().

#include <Core/Types.h>
#include <Userland/Services/FileSystem/Backend.h>

namespace FileSystem {

// How many files one service keeps open at once (a port holds 256 bindings; one is the
// VFS's). Open answers OutOfRange past it.
inline constexpr Core::u32 maximum_open_files = 240;

// Serves until the VFS unmounts the file system (0: synced and marked clean) or its channel
// closes (1: synced, not marked clean, since the VFS may have died mid-operation). Returns
// the exit status for main.
int serve(Backend& backend, Core::u32 node_channel);

// The current time in Unix seconds, for timestamps (0 before the wall clock is set).
Core::i64 current_time();

} // namespace FileSystem
