#pragma once

// The one error enumeration shared by the kernel, user space and host tools.
//
// Numbers are part of the system-call ABI (docs/abi/error-codes.md): a value is never
// renumbered or reused, and new codes are appended before `Count`.

#include <stdint.h>

namespace ABI {

enum class ErrorCode : int32_t {
    InvalidArgument = 1,
    OutOfMemory = 2,
    NotFound = 3,
    AccessDenied = 4,
    BadHandle = 5,
    WrongType = 6,
    TimedOut = 7,
    NotSupported = 8,
    BufferTooSmall = 9,
    Overflow = 10,
    Busy = 11,
    AlreadyExists = 12,
    Malformed = 13,
    OutOfRange = 14,
    WouldBlock = 15,
    BadAddress = 16,
    // A wait ended because the waiting thread's process is being terminated. The thread
    // exits before it returns to user mode, so programs never see this code.
    Interrupted = 17,
    // The other end of a channel is closed.
    PeerClosed = 18,
    // A path named something that is not a directory where a directory had to be.
    NotADirectory = 19,
    // Resolving a path met more symbolic links than the limit (a loop, most likely).
    SymlinkLoop = 20,
    // A directory to remove (or replace) still has entries.
    NotEmpty = 21,
    // A directory where something else had to be (writing to it, removing it as a file).
    IsADirectory = 22,
    // A change to a file system mounted read-only, or one that cannot be written.
    ReadOnlyFileSystem = 23,
    // A rename or link between two mounted file systems.
    CrossDevice = 24,
    // The file system has no free block or inode left.
    NoSpace = 25,
    // A path or name longer than the file system allows.
    NameTooLong = 26,
    // A device failed a transfer or cannot be reached (its driver ended): an I/O error.
    IoError = 27,
    Count,
};

// A stable, human-readable name for logs and test output. Unknown values map to
// "UnknownError" so that a code from a newer peer never reads out of bounds.
constexpr const char* error_code_name(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument:
        return "InvalidArgument";
    case ErrorCode::OutOfMemory:
        return "OutOfMemory";
    case ErrorCode::NotFound:
        return "NotFound";
    case ErrorCode::AccessDenied:
        return "AccessDenied";
    case ErrorCode::BadHandle:
        return "BadHandle";
    case ErrorCode::WrongType:
        return "WrongType";
    case ErrorCode::TimedOut:
        return "TimedOut";
    case ErrorCode::NotSupported:
        return "NotSupported";
    case ErrorCode::BufferTooSmall:
        return "BufferTooSmall";
    case ErrorCode::Overflow:
        return "Overflow";
    case ErrorCode::Busy:
        return "Busy";
    case ErrorCode::AlreadyExists:
        return "AlreadyExists";
    case ErrorCode::Malformed:
        return "Malformed";
    case ErrorCode::OutOfRange:
        return "OutOfRange";
    case ErrorCode::BadAddress:
        return "BadAddress";
    case ErrorCode::WouldBlock:
        return "WouldBlock";
    case ErrorCode::Interrupted:
        return "Interrupted";
    case ErrorCode::PeerClosed:
        return "PeerClosed";
    case ErrorCode::NotADirectory:
        return "NotADirectory";
    case ErrorCode::SymlinkLoop:
        return "SymlinkLoop";
    case ErrorCode::NotEmpty:
        return "NotEmpty";
    case ErrorCode::IsADirectory:
        return "IsADirectory";
    case ErrorCode::ReadOnlyFileSystem:
        return "ReadOnlyFileSystem";
    case ErrorCode::CrossDevice:
        return "CrossDevice";
    case ErrorCode::NoSpace:
        return "NoSpace";
    case ErrorCode::NameTooLong:
        return "NameTooLong";
    case ErrorCode::IoError:
        return "IoError";
    case ErrorCode::Count:
        break;
    }
    return "UnknownError";
}

} // namespace ABI
