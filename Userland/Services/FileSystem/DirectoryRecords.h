#pragma once

// A ReadDirectory reply's entries (Protocol.h, DirectoryRecord): a header, then the name, one
// after another. They come from a file system service: every length is checked against the
// bytes there before a name is taken. Pure and header-only, so that the C library and a
// fuzz target share it.

#include <Core/Span.h>
#include <Core/StringView.h>
#include <Userland/Services/FileSystem/Protocol.h>

namespace FileSystem {

// Calls `visit(node, type, name)` for each record, in order; false (Malformed) when the
// bytes do not hold whole records with names of 1 to 255 bytes and no '/' or NUL (the
// records before the bad one have been visited).
template<typename Visit> [[nodiscard]] bool parse_directory_records(Core::ReadonlyBytes records, Visit visit)
{
    Core::usize offset = 0;
    while (offset < records.size()) {
        if (records.size() - offset < sizeof(DirectoryRecord))
            return false;
        DirectoryRecord record;
        __builtin_memcpy(&record, records.data() + offset, sizeof(record));
        offset += sizeof(record);
        if (record.name_length == 0 || records.size() - offset < record.name_length)
            return false;
        const char* name = reinterpret_cast<const char*>(records.data() + offset);
        for (Core::usize index = 0; index < record.name_length; ++index) {
            if (name[index] == '/' || name[index] == 0)
                return false;
        }
        offset += record.name_length;
        visit(record.node, record.type, Core::StringView(name, record.name_length));
    }
    return true;
}

} // namespace FileSystem
