#pragma once

// What the file system host tests share: an image in memory as a volume's block source (it
// reads and writes), and the host's tools run on an image file (e2fsprogs' `mke2fs` to make
// one from a directory tree, `e2fsck -fn` and `debugfs` to check what RaeenOS wrote;
// dosfstools and mtools for FAT).

#include <Userland/FileSystems/BlockSource.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace TestSupport {

class ImageSource final : public FileSystems::BlockSource {
public:
    explicit ImageSource(std::vector<std::uint8_t> image)
        : bytes(std::move(image))
    {
    }
    Core::Result<void> read(std::uint64_t offset, Core::Bytes destination) override
    {
        if (offset > bytes.size() || destination.size() > bytes.size() - offset)
            return Core::ErrorCode::OutOfRange;
        std::memcpy(destination.data(), bytes.data() + offset, destination.size());
        return {};
    }
    Core::Result<void> write(std::uint64_t offset, Core::ReadonlyBytes source) override
    {
        if (offset > bytes.size() || source.size() > bytes.size() - offset)
            return Core::ErrorCode::OutOfRange;
        std::memcpy(bytes.data() + offset, source.data(), source.size());
        return {};
    }
    std::vector<std::uint8_t> bytes;
};

// Bytes that differ from block to block and from `seed` to seed, so that a block read from
// the wrong place, or a file read as another, shows.
inline std::string test_pattern(std::size_t length, unsigned seed = 0)
{
    std::string data(length, '\0');
    for (std::size_t index = 0; index < length; ++index)
        data[index] = static_cast<char>((index * 13 + seed + index / 512) & 0xFF);
    return data;
}

inline void write_file(const std::filesystem::path& path, const std::string& contents)
{
    std::ofstream(path, std::ios::binary) << contents;
}

inline std::vector<std::uint8_t> read_image(const std::filesystem::path& path)
{
    std::vector<std::uint8_t> bytes(std::filesystem::file_size(path));
    std::ifstream file(path, std::ios::binary);
    file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

inline void write_image(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes)
{
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Runs `command` and returns its exit status and what it printed (standard output and error).
inline int run_command(const std::string& command, std::string& output)
{
    output.clear();
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return -1;
    char chunk[4096];
    std::size_t count;
    while ((count = fread(chunk, 1, sizeof(chunk), pipe)) > 0)
        output.append(chunk, count);
    int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// mke2fs's ext2, made from `tree` (which may be empty) into `image`.
inline bool make_ext2_image(const std::filesystem::path& tree, const std::filesystem::path& image,
    int block_size, int megabytes, std::string& output)
{
    std::string command = "mke2fs -q -F -t ext2 -b " + std::to_string(block_size) + " -L raeen -d "
        + tree.string() + " " + image.string() + " " + std::to_string(megabytes) + "M";
    return run_command(command, output) == 0;
}

} // namespace TestSupport
