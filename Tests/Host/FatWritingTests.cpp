// Tests for writing FAT32 (Userland/FileSystems/Fat/FatWriting.cpp): RaeenOS's writer changes
// an image Linux's mkfs.fat made, and then Linux's own tools judge it: `fsck.fat -n` must find
// it clean, and mtools must read back exactly what was written, names (long ones and the 8.3
// aliases) included. The other way too: what mtools put in, RaeenOS reads and changes.

#include <Tests/Host/FileSystemTestSupport.h>
#include <Userland/FileSystems/Fat/FatVolume.h>
#include <algorithm>
#include <gtest/gtest.h>
#include <sstream>
#include <string>

namespace {

namespace Fat = FileSystems::Fat;
using Core::ErrorCode;
using TestSupport::ImageSource;
using TestSupport::test_pattern;
using TestSupport::write_file;

constexpr std::uint32_t now = 1'750'000'000; // 2025-06-15 15:06:40 UTC

Core::ReadonlyBytes bytes_of(const std::string& text)
{
    return Core::ReadonlyBytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

Core::StringView view_of(const std::string& text)
{
    return Core::StringView(text.data(), text.size());
}

std::string mtools(const std::string& arguments)
{
    return "LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 " + arguments;
}

std::string quoted(const std::string& text)
{
    return "'" + text + "'";
}

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);)
        lines.push_back(line);
    return lines;
}

// The error a call failed with; Count (no error code) when it succeeded.
template<typename T> ErrorCode error_of(const Core::Result<T>& result)
{
    return result.is_error() ? result.error().code() : ErrorCode::Count;
}

std::string name_of(const Fat::Entry& entry)
{
    return std::string(entry.name, entry.name_length);
}

// The parameter is the cluster size in sectors of 512 bytes; the image is just large enough
// for FAT32's 65,525 clusters.
class FatWriting : public testing::TestWithParam<int> {
protected:
    void SetUp() override
    {
        char directory[] = "/tmp/raeen-fatw-XXXXXX";
        ASSERT_NE(mkdtemp(directory), nullptr);
        m_directory = directory;
        int kilobytes = GetParam() == 1 ? 40 * 1024 : 72 * 1024;
        std::string output;
        ASSERT_EQ(TestSupport::run_command("mkfs.fat -F 32 -C -s " + std::to_string(GetParam()) + " -n RAEEN "
                          + image_path().string() + " " + std::to_string(kilobytes),
                      output),
            0)
            << output;
        reopen();
    }
    void TearDown() override { std::filesystem::remove_all(m_directory); }

    std::filesystem::path image_path() const { return m_directory / "fat.img"; }
    std::string image() const { return image_path().string(); }

    // Reads the image file into memory again and opens it.
    void reopen()
    {
        source = std::make_unique<ImageSource>(TestSupport::read_image(image_path()));
        open_volume();
    }
    void open_volume()
    {
        auto opened = Fat::Volume::open(*source);
        ASSERT_FALSE(opened.is_error()) << opened.error().name();
        volume = std::make_unique<Fat::Volume>(opened.release_value());
        volume->set_current_time(now);
    }
    // Has the host's tools change the image (commands run with mtools' environment), then
    // reads it back and reopens it.
    void change_on_the_host(const std::vector<std::string>& commands)
    {
        TestSupport::write_image(image_path(), source->bytes);
        for (const std::string& command : commands) {
            std::string output;
            ASSERT_EQ(TestSupport::run_command(mtools(command), output), 0) << command << "\n" << output;
        }
        reopen();
    }

    // Marks the volume clean (as unmounting would), writes the image out, and has fsck.fat
    // check it without changing it: it must say nothing but its banner and its summary.
    void expect_clean()
    {
        ASSERT_FALSE(volume->mark_clean().is_error());
        TestSupport::write_image(image_path(), source->bytes);
        std::string output;
        int status = TestSupport::run_command("fsck.fat -n " + image(), output);
        EXPECT_EQ(status, 0) << output;
        EXPECT_EQ(lines_of(output).size(), 2u) << output;
    }
    // What mtools reads of the file at `path` (the image as last written by expect_clean).
    std::string host_read(const std::string& path)
    {
        std::filesystem::path copy = m_directory / "copied";
        std::filesystem::remove(copy);
        std::string output;
        EXPECT_EQ(
            TestSupport::run_command(
                mtools("mcopy -n -i " + image() + " " + quoted("::" + path) + " " + copy.string()), output),
            0)
            << path << ": " << output;
        if (!std::filesystem::exists(copy))
            return {};
        std::vector<std::uint8_t> bytes = TestSupport::read_image(copy);
        return std::string(bytes.begin(), bytes.end());
    }
    // mdir's listing of `path`: one line per entry, "BASE     EXT  size date time  long name".
    std::vector<std::string> host_listing(const std::string& path)
    {
        std::string output;
        EXPECT_EQ(
            TestSupport::run_command(mtools("mdir -a -i " + image() + " " + quoted("::" + path)), output), 0)
            << output;
        return lines_of(output);
    }
    // Every path mtools finds under the root, recursively ("::/Sub/", "::/Sub/file.txt").
    std::vector<std::string> host_tree()
    {
        std::string output;
        EXPECT_EQ(TestSupport::run_command(mtools("mdir -/ -b -i " + image() + " ::/"), output), 0) << output;
        return lines_of(output);
    }
    // The 8.3 name mdir shows for the entry whose long name is `long_name` ("LONGNA~1 TXT").
    std::string host_short_name(const std::string& directory, const std::string& long_name)
    {
        for (const std::string& line : host_listing(directory)) {
            if (line.size() > long_name.size() + 2
                && line.compare(line.size() - long_name.size() - 2, std::string::npos, "  " + long_name) == 0)
                return line.substr(0, 12);
        }
        return "(none)";
    }

    Fat::Entry resolve(const std::string& path)
    {
        auto found = volume->resolve(view_of(path));
        EXPECT_FALSE(found.is_error()) << path << ": " << (found.is_error() ? found.error().name() : "");
        return found.is_error() ? Fat::Entry {} : found.value();
    }
    Fat::Entry create_file(const std::string& directory, const std::string& name, const std::string& contents)
    {
        auto made = volume->create_file(resolve(directory), view_of(name));
        EXPECT_FALSE(made.is_error()) << name << ": " << (made.is_error() ? made.error().name() : "");
        if (made.is_error())
            return {};
        if (!contents.empty()) {
            auto written = volume->write(made.value().location, 0, bytes_of(contents));
            EXPECT_FALSE(written.is_error())
                << name << ": " << (written.is_error() ? written.error().name() : "");
            if (!written.is_error())
                return written.value();
        }
        return made.value();
    }
    Fat::Entry create_directory(const std::string& directory, const std::string& name)
    {
        auto made = volume->create_directory(resolve(directory), view_of(name));
        EXPECT_FALSE(made.is_error()) << name << ": " << (made.is_error() ? made.error().name() : "");
        return made.is_error() ? Fat::Entry {} : made.value();
    }
    std::string read_back(const std::string& path)
    {
        Fat::Entry entry = resolve(path);
        std::string data(entry.size, '\0');
        auto copied
            = volume->read(entry, 0, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
        EXPECT_FALSE(copied.is_error()) << path;
        return data;
    }
    std::uint32_t free_clusters() { return volume->free_space().value().free_clusters; }
    std::uint32_t fat_entry(std::uint32_t index, std::uint32_t copy = 0)
    {
        const Fat::BootSector& boot = volume->boot_sector();
        std::uint64_t offset = boot.fat_offset
            + std::uint64_t { copy } * boot.fat_sectors * boot.bytes_per_sector + std::uint64_t { index } * 4;
        std::uint32_t value = 0;
        for (int byte = 0; byte < 4; ++byte)
            value |= std::uint32_t { source->bytes.at(offset + byte) } << (8 * byte);
        return value;
    }
    std::uint32_t chain_length(std::uint32_t first)
    {
        std::uint32_t length = 0;
        for (std::uint32_t cluster = first; cluster != 0; cluster = volume->next_cluster(cluster).value())
            ++length;
        return length;
    }
    ErrorCode create_error(const std::string& directory, const std::string& name)
    {
        return error_of(volume->create_file(resolve(directory), view_of(name)));
    }

    std::filesystem::path m_directory;
    std::unique_ptr<ImageSource> source;
    std::unique_ptr<Fat::Volume> volume;
};

TEST_P(FatWriting, new_files_are_what_mtools_reads)
{
    Fat::Entry hello = create_file("/", "hello.txt", "written by RaeenOS\n");
    ASSERT_FALSE(volume->write(hello.location, 19, bytes_of("and appended\n")).is_error());
    create_file("/", "Long File Name.txt", "long\n");
    create_file("/", "Grüße.txt", "grüße\n");
    create_file("/", "日本語のファイル.txt", "nihongo\n");
    create_file("/", "smile 🙂.txt", "outside the BMP\n");
    // Over many clusters, in uneven chunks; then an overwrite in the middle.
    std::string big = test_pattern(700 * 1024 + 123, 1);
    Fat::Entry large = create_file("/", "large.bin", "");
    for (std::size_t offset = 0; offset < big.size(); offset += 5000)
        ASSERT_FALSE(volume->write(large.location, offset, bytes_of(big.substr(offset, 5000))).is_error());
    ASSERT_FALSE(volume->write(large.location, 1000, bytes_of("MIDDLE")).is_error());
    big.replace(1000, 6, "MIDDLE");
    // Past the end: FAT has no holes, the gap reads as zeros.
    Fat::Entry gap = create_file("/", "gap.bin", "start");
    auto grown = volume->write(gap.location, 100'000, bytes_of("end"));
    ASSERT_FALSE(grown.is_error());
    EXPECT_EQ(grown.value().size, 100'003u);
    std::string gap_contents = "start" + std::string(100'000 - 5, '\0') + "end";
    // Empty files have no cluster.
    Fat::Entry empty = create_file("/", "empty", "");
    EXPECT_EQ(empty.first_cluster, 0u);
    EXPECT_EQ(empty.size, 0u);
    expect_clean();

    EXPECT_EQ(host_read("/hello.txt"), "written by RaeenOS\nand appended\n");
    EXPECT_EQ(host_read("/Long File Name.txt"), "long\n");
    EXPECT_EQ(host_read("/Grüße.txt"), "grüße\n");
    EXPECT_EQ(host_read("/日本語のファイル.txt"), "nihongo\n");
    EXPECT_EQ(host_read("/large.bin"), big);
    EXPECT_EQ(host_read("/gap.bin"), gap_contents);
    EXPECT_EQ(host_read("/empty"), "");
    std::vector<std::string> tree = host_tree();
    for (const char* name : { "::/hello.txt", "::/Long File Name.txt", "::/Grüße.txt",
             "::/日本語のファイル.txt", "::/large.bin", "::/gap.bin", "::/empty" })
        EXPECT_NE(std::find(tree.begin(), tree.end(), name), tree.end()) << name;
    EXPECT_EQ(tree.size(), 8u);
    // mtools 4.0 turns characters outside the BMP (surrogate pairs) to garbage, so the
    // writer's own reader judges that name; and agrees on the rest.
    EXPECT_EQ(read_back("/smile 🙂.txt"), "outside the BMP\n");
    EXPECT_EQ(read_back("/large.bin"), big);
    EXPECT_EQ(read_back("/GAP.BIN"), gap_contents);
    EXPECT_EQ(resolve("/large.bin").size, big.size());
}

TEST_P(FatWriting, directories_nest_and_grow_past_a_thousand_entries)
{
    Fat::Entry many = create_directory("/", "Many");
    for (int index = 0; index < 1100; ++index)
        create_file("/Many", "entry number " + std::to_string(index) + " with a long name.txt",
            std::to_string(index));
    create_directory("/", "Sub");
    create_directory("/Sub", "Deeper");
    create_file("/Sub/Deeper", "deep.txt", "deep\n");
    // Four slots each (three long-name parts and the short entry): the directory grew.
    std::uint32_t slots_per_cluster = volume->boot_sector().cluster_size / 32;
    EXPECT_GE(chain_length(many.first_cluster), (1100 * 4 + 2) / slots_per_cluster);
    expect_clean();

    int listed = 0;
    for (const std::string& path : host_tree())
        listed += path.rfind("::/Many/entry number ", 0) == 0;
    EXPECT_EQ(listed, 1100);
    for (int index : { 0, 9, 10, 577, 1099 })
        EXPECT_EQ(host_read("/Many/entry number " + std::to_string(index) + " with a long name.txt"),
            std::to_string(index));
    EXPECT_EQ(host_read("/Sub/Deeper/deep.txt"), "deep\n");
    // Aliases take the smallest free tail, shortening the base as the tail grows.
    EXPECT_EQ(host_short_name("/Many", "entry number 0 with a long name.txt"), "ENTRYN~1 TXT");
    EXPECT_EQ(host_short_name("/Many", "entry number 9 with a long name.txt"), "ENTRY~10 TXT");
    EXPECT_EQ(host_short_name("/Many", "entry number 999 with a long name.txt"), "ENT~1000 TXT");
    // "." and ".." lead each new directory.
    std::vector<std::string> deeper = host_listing("/Sub/Deeper");
    EXPECT_TRUE(std::any_of(deeper.begin(), deeper.end(),
        [](const std::string& line) { return line.rfind(".            <DIR>", 0) == 0; }));
    EXPECT_TRUE(std::any_of(deeper.begin(), deeper.end(),
        [](const std::string& line) { return line.rfind("..           <DIR>", 0) == 0; }));
    EXPECT_EQ(read_back("/Sub/Deeper/../Deeper/deep.txt"), "deep\n");
    EXPECT_EQ(read_back("/Many/entry number 1099 with a long name.txt"), "1099");
}

TEST_P(FatWriting, long_names_get_unique_aliases_and_short_names_need_none)
{
    create_file("/", "README.TXT", "upper");
    create_file("/", "notes.md", "lower");
    create_file("/", "Makefile", "mixed");
    create_file("/", "Long Name A.txt", "A");
    create_file("/", "Long Name B.txt", "B");
    create_file("/", "Long Name C.txt", "C");
    create_file("/", ".bashrc", "dot");
    create_file("/", "a+b=c.txt", "symbols");
    std::string longest = std::string(251, 'x') + ".txt";
    create_file("/", longest, "255");
    create_file("/", "thirteen_char", "13"); // exactly one long-name part, no terminator
    create_file("/", "twenty-six-characters-long", "26");
    // Bases with a '~' of their own: the tail is what follows the last one.
    create_file("/", "a~b long one", "first");
    create_file("/", "a~b long two", "second");
    // The volume label (RAEEN) is no file: its name is free.
    create_file("/", "RAEEN", "not the label");
    // Taken, whatever the case; an alias is taken too.
    EXPECT_EQ(create_error("/", "readme.txt"), ErrorCode::AlreadyExists);
    EXPECT_EQ(create_error("/", "ReadMe.Txt"), ErrorCode::AlreadyExists);
    EXPECT_EQ(create_error("/", "long name a.TXT"), ErrorCode::AlreadyExists);
    EXPECT_EQ(create_error("/", "LONGNA~2.TXT"), ErrorCode::AlreadyExists);
    EXPECT_EQ(create_error("/", "makefile"), ErrorCode::AlreadyExists);
    // Names are looked up by their aliases too, as Windows and Linux do.
    EXPECT_EQ(name_of(resolve("/longna~2.txt")), "Long Name B.txt");
    // A freed tail is taken again.
    ASSERT_FALSE(volume->remove(volume->root(), "Long Name A.txt"_sv).is_error());
    create_file("/", "Long Name D.txt", "D");
    expect_clean();

    std::vector<std::string> listing = host_listing("/");
    auto line_starting = [&](const std::string& prefix) {
        auto found = std::find_if(listing.begin(), listing.end(),
            [&](const std::string& line) { return line.rfind(prefix, 0) == 0; });
        return found == listing.end() ? std::string("(none)") : *found;
    };
    // 8.3 names need no long name: mdir shows nothing after the time.
    EXPECT_EQ(
        line_starting("README   TXT").size(), line_starting("README   TXT").find_last_not_of(' ') + 1 + 1)
        << line_starting("README   TXT");
    EXPECT_EQ(line_starting("notes    md").rfind("notes", 0), 0u) << "lowercase kept by the NT flags";
    EXPECT_EQ(host_short_name("/", "Makefile"), "MAKEFILE    ");
    EXPECT_EQ(host_short_name("/", "Long Name B.txt"), "LONGNA~2 TXT");
    EXPECT_EQ(host_short_name("/", "Long Name C.txt"), "LONGNA~3 TXT");
    EXPECT_EQ(host_short_name("/", "Long Name D.txt"), "LONGNA~1 TXT");
    EXPECT_EQ(host_short_name("/", ".bashrc"), "BASHRC~1    ");
    EXPECT_EQ(host_short_name("/", "a+b=c.txt"), "A_B_C~1  TXT");
    EXPECT_EQ(host_short_name("/", "a~b long one"), "A~BLON~1    ");
    EXPECT_EQ(host_short_name("/", "a~b long two"), "A~BLON~2    ");
    EXPECT_EQ(host_read("/RAEEN"), "not the label");
    EXPECT_EQ(host_read("/README.TXT"), "upper");
    EXPECT_EQ(host_read("/notes.md"), "lower");
    EXPECT_EQ(host_read("/" + longest), "255");
    EXPECT_EQ(host_read("/thirteen_char"), "13");
    EXPECT_EQ(host_read("/twenty-six-characters-long"), "26");
    EXPECT_EQ(host_read("/Long Name D.txt"), "D");
    EXPECT_EQ(name_of(resolve("/NOTES.MD")), "notes.md");
}

TEST_P(FatWriting, bad_names_are_refused)
{
    std::string too_long = std::string(252, 'x') + ".txt";
    // 128 + 2 * 64 = 256 UTF-16 units, though only 192 characters.
    std::string too_long_in_units = std::string(128, 'x');
    for (int index = 0; index < 64; ++index)
        too_long_in_units += "🙂";
    for (const std::string& name :
        { std::string(""), std::string("."), std::string(".."), std::string("a/b"), std::string("a:b"),
            std::string("what?"), std::string("star*"), std::string("pipe|"), std::string("back\\slash"),
            std::string("quote\""), std::string("less<"), std::string("trailing."), std::string("trailing "),
            std::string("\x01control"), std::string("bad\xFFutf8"), too_long, too_long_in_units })
        EXPECT_EQ(create_error("/", name), ErrorCode::InvalidArgument) << name;
    EXPECT_EQ(create_error("/", std::string(255, 'y')), ErrorCode::Count) << "255 units are allowed";
}

TEST_P(FatWriting, renames_of_every_kind)
{
    create_directory("/", "A");
    create_directory("/", "B");
    create_directory("/A", "Tree");
    create_file("/A/Tree", "leaf.txt", "leaf\n");
    create_file("/A", "file.txt", test_pattern(5000, 3));
    create_file("/B", "old.txt", test_pattern(9000, 4));
    create_directory("/B", "Empty");
    create_directory("/B", "Full");
    create_file("/B/Full", "x", "x");
    create_file("/", "same dir.txt", "same");

    // In place, to a long name.
    auto renamed
        = volume->rename(volume->root(), "same dir.txt"_sv, volume->root(), "Renamed In Place.txt"_sv);
    ASSERT_FALSE(renamed.is_error());
    EXPECT_EQ(name_of(renamed.value()), "Renamed In Place.txt");
    EXPECT_EQ(volume->entry_at(renamed.value().location).value().size, 4u);
    // Across directories, over an existing file: its clusters go back.
    std::uint32_t before = free_clusters();
    std::uint32_t replaced_clusters = chain_length(resolve("/B/old.txt").first_cluster);
    ASSERT_FALSE(volume->rename(resolve("/A"), "file.txt"_sv, resolve("/B"), "OLD.TXT"_sv).is_error());
    EXPECT_EQ(free_clusters(), before + replaced_clusters);
    EXPECT_EQ(error_of(volume->resolve("/A/file.txt"_sv)), ErrorCode::NotFound);
    // A directory across directories: its ".." follows.
    auto moved = volume->rename(resolve("/A"), "Tree"_sv, resolve("/B"), "Moved Tree"_sv);
    ASSERT_FALSE(moved.is_error());
    EXPECT_EQ(resolve("/B/Moved Tree/..").first_cluster, resolve("/B").first_cluster);
    // Over an empty directory; not over a full one.
    ASSERT_FALSE(volume->rename(resolve("/B"), "Moved Tree"_sv, resolve("/B"), "Empty"_sv).is_error());
    EXPECT_EQ(error_of(volume->resolve("/B/Moved Tree"_sv)), ErrorCode::NotFound);
    EXPECT_EQ(
        error_of(volume->rename(resolve("/B"), "Empty"_sv, resolve("/B"), "Full"_sv)), ErrorCode::NotEmpty);
    // Kinds must agree; never into itself or below.
    EXPECT_EQ(error_of(volume->rename(resolve("/B"), "old.txt"_sv, resolve("/B"), "Full"_sv)),
        ErrorCode::AlreadyExists);
    EXPECT_EQ(error_of(volume->rename(resolve("/B"), "Full"_sv, resolve("/B"), "old.txt"_sv)),
        ErrorCode::NotADirectory);
    EXPECT_EQ(error_of(volume->rename(volume->root(), "B"_sv, resolve("/B/Empty"), "loop"_sv)),
        ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(volume->rename(volume->root(), "B"_sv, resolve("/B"), "loop"_sv)),
        ErrorCode::InvalidArgument);
    EXPECT_EQ(
        error_of(volume->rename(volume->root(), "missing"_sv, volume->root(), "x"_sv)), ErrorCode::NotFound);
    // Onto itself, or its own name in another case: nothing changes.
    std::vector<std::uint8_t> unchanged = source->bytes;
    EXPECT_FALSE(volume->rename(resolve("/B"), "old.txt"_sv, resolve("/B"), "OLD.txt"_sv).is_error());
    EXPECT_FALSE(volume->rename(resolve("/B"), "old.txt"_sv, resolve("/B"), "old.txt"_sv).is_error());
    EXPECT_EQ(source->bytes, unchanged);
    // A directory to the root: ".." names cluster 0.
    ASSERT_FALSE(volume->rename(resolve("/B"), "Full"_sv, volume->root(), "Full At Root"_sv).is_error());
    EXPECT_EQ(resolve("/Full At Root/..").first_cluster, volume->boot_sector().root_cluster);
    expect_clean();

    EXPECT_EQ(host_read("/B/old.txt"), test_pattern(5000, 3));
    EXPECT_EQ(host_read("/B/Empty/leaf.txt"), "leaf\n");
    EXPECT_EQ(host_read("/Renamed In Place.txt"), "same");
    EXPECT_EQ(host_read("/Full At Root/x"), "x");
    std::vector<std::string> tree = host_tree();
    std::sort(tree.begin(), tree.end());
    std::vector<std::string> expected { "::/A/", "::/B/", "::/B/Empty/", "::/B/Empty/leaf.txt",
        "::/B/old.txt", "::/Full At Root/", "::/Full At Root/x", "::/Renamed In Place.txt" };
    EXPECT_EQ(tree, expected);
}

TEST_P(FatWriting, truncate_frees_clusters_and_growing_reads_zeros)
{
    std::uint32_t cluster_size = volume->boot_sector().cluster_size;
    std::uint32_t before = free_clusters();
    std::string data = test_pattern(10'000, 7);
    Fat::Entry file = create_file("/", "cut.bin", data);
    std::uint32_t used = (10'000 + cluster_size - 1) / cluster_size;
    EXPECT_EQ(free_clusters(), before - used);
    auto shrunk = volume->truncate(file.location, 3000);
    ASSERT_FALSE(shrunk.is_error());
    EXPECT_EQ(shrunk.value().size, 3000u);
    EXPECT_EQ(chain_length(shrunk.value().first_cluster), (3000 + cluster_size - 1) / cluster_size);
    EXPECT_EQ(free_clusters(), before - (3000 + cluster_size - 1) / cluster_size);
    expect_clean();
    EXPECT_EQ(host_read("/cut.bin"), data.substr(0, 3000));
    // Growing again: what was past 3000 before reads as zeros now.
    ASSERT_FALSE(volume->truncate(file.location, 8000).is_error());
    expect_clean();
    EXPECT_EQ(host_read("/cut.bin"), data.substr(0, 3000) + std::string(5000, '\0'));
    auto emptied = volume->truncate(file.location, 0);
    ASSERT_FALSE(emptied.is_error());
    EXPECT_EQ(emptied.value().first_cluster, 0u);
    EXPECT_EQ(free_clusters(), before);
    expect_clean();
    EXPECT_EQ(host_read("/cut.bin"), "");
    // Writing after a truncate to zero starts a new chain.
    ASSERT_FALSE(volume->write(file.location, 0, bytes_of("again")).is_error());
    expect_clean();
    EXPECT_EQ(host_read("/cut.bin"), "again");
    EXPECT_EQ(error_of(volume->truncate(volume->root().location, 0)), ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(volume->truncate(file.location, 0x1'0000'0000ull)), ErrorCode::OutOfRange);
    EXPECT_EQ(error_of(volume->write(file.location, 0xFFFF'FFFEull, bytes_of("xy"))), ErrorCode::OutOfRange);
}

// Reads go on along a chain from where the last read stopped: in order, backwards, across
// other files' reads, and after writes that changed the chains, every piece must be the
// file's own bytes.
TEST_P(FatWriting, pieces_read_in_any_order_are_the_files_bytes)
{
    std::uint32_t cluster_size = volume->boot_sector().cluster_size;
    // Two files written a cluster at a time in turn: their chains interleave.
    Fat::Entry first = create_file("/", "first.bin", "");
    Fat::Entry second = create_file("/", "second.bin", "");
    std::string first_data = test_pattern(std::size_t { cluster_size } * 24 + 100, 11);
    std::string second_data = test_pattern(std::size_t { cluster_size } * 24 + 100, 12);
    for (std::size_t offset = 0; offset < first_data.size(); offset += cluster_size) {
        std::size_t length = std::min<std::size_t>(cluster_size, first_data.size() - offset);
        ASSERT_FALSE(
            volume->write(first.location, offset, bytes_of(first_data.substr(offset, length))).is_error());
        ASSERT_FALSE(
            volume->write(second.location, offset, bytes_of(second_data.substr(offset, length))).is_error());
    }
    auto piece = [&](const std::string& path, std::uint64_t offset, std::size_t length) {
        Fat::Entry entry = resolve(path);
        std::string data(length, '\0');
        auto copied = volume->read(
            entry, offset, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
        EXPECT_FALSE(copied.is_error()) << path << " at " << offset;
        data.resize(copied.is_error() ? 0 : copied.value());
        return data;
    };
    // In order, in pieces that do not line up with clusters, the two files in turn.
    std::size_t step = cluster_size / 3 + 7;
    for (std::size_t offset = 0; offset < first_data.size(); offset += step) {
        EXPECT_EQ(piece("/first.bin", offset, step), first_data.substr(offset, step)) << offset;
        EXPECT_EQ(piece("/second.bin", offset, step), second_data.substr(offset, step)) << offset;
    }
    // Backwards, and the same piece twice.
    for (std::size_t offset = first_data.size(); offset > step;) {
        offset -= step;
        EXPECT_EQ(piece("/first.bin", offset, step), first_data.substr(offset, step)) << offset;
        EXPECT_EQ(piece("/first.bin", offset, step), first_data.substr(offset, step)) << offset;
    }
    // Where the last read stopped, the chain changes: both files cut short, and the first
    // grown again into its own old clusters and the second's, in another order.
    EXPECT_EQ(
        piece("/first.bin", std::size_t { cluster_size } * 20, 10), first_data.substr(cluster_size * 20, 10));
    ASSERT_FALSE(volume->truncate(first.location, std::size_t { cluster_size } * 2).is_error());
    ASSERT_FALSE(volume->truncate(second.location, std::size_t { cluster_size } * 2).is_error());
    std::string regrown = test_pattern(std::size_t { cluster_size } * 22, 13);
    ASSERT_FALSE(
        volume->write(first.location, std::size_t { cluster_size } * 2, bytes_of(regrown)).is_error());
    std::string expected_first = first_data.substr(0, std::size_t { cluster_size } * 2) + regrown;
    // Past where the last read stopped first: the one read that could go on from there.
    std::size_t past = std::size_t { cluster_size } * 21 + 5;
    EXPECT_EQ(piece("/first.bin", past, step), expected_first.substr(past, step));
    for (std::size_t offset = 0; offset < expected_first.size(); offset += step)
        EXPECT_EQ(piece("/first.bin", offset, step), expected_first.substr(offset, step)) << offset;
    EXPECT_EQ(read_back("/second.bin"), second_data.substr(0, std::size_t { cluster_size } * 2));
    expect_clean();
    EXPECT_EQ(host_read("/first.bin"), expected_first);
}

// Whether mattrib shows the read-only attribute ('R' in the flags before the path) on the
// entry at `path` of the image as last written by expect_clean.
bool host_sees_read_only(const std::string& image, const std::string& path)
{
    std::string output;
    EXPECT_EQ(TestSupport::run_command(mtools("mattrib -i " + image + " " + quoted("::" + path)), output), 0)
        << output;
    std::string flags = output.substr(0, output.find("::"));
    return flags.find('R') != std::string::npos;
}

TEST_P(FatWriting, the_read_only_attribute_is_set_and_cleared)
{
    std::string data = test_pattern(3000, 3);
    Fat::Entry file = create_file("/", "Kept file.txt", data);
    auto set = volume->set_read_only(file.location, true);
    ASSERT_FALSE(set.is_error());
    EXPECT_NE(set.value().attributes & Fat::Attribute::read_only, 0);
    EXPECT_EQ(name_of(set.value()), "Kept file.txt");
    EXPECT_EQ(set.value().size, 3000u);
    EXPECT_NE(resolve("/Kept file.txt").attributes & Fat::Attribute::read_only, 0);
    expect_clean();
    EXPECT_TRUE(host_sees_read_only(image(), "/Kept file.txt"));
    EXPECT_EQ(host_read("/Kept file.txt"), data);
    // Cleared again; and the other way round, what mattrib set is read and cleared here.
    ASSERT_FALSE(volume->set_read_only(file.location, false).is_error());
    EXPECT_EQ(resolve("/Kept file.txt").attributes & Fat::Attribute::read_only, 0);
    expect_clean();
    EXPECT_FALSE(host_sees_read_only(image(), "/Kept file.txt"));
    change_on_the_host({ "mattrib -i " + image() + " +r " + quoted("::/Kept file.txt") });
    Fat::Entry from_host = resolve("/Kept file.txt");
    EXPECT_NE(from_host.attributes & Fat::Attribute::read_only, 0);
    ASSERT_FALSE(volume->set_read_only(from_host.location, false).is_error());
    expect_clean();
    EXPECT_FALSE(host_sees_read_only(image(), "/Kept file.txt"));
    // Directories keep theirs: Windows and Linux ignore it there.
    Fat::Entry directory = create_directory("/", "Sub");
    EXPECT_EQ(error_of(volume->set_read_only(directory.location, true)), ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(volume->set_read_only(volume->root().location, true)), ErrorCode::InvalidArgument);
    expect_clean();
    EXPECT_FALSE(host_sees_read_only(image(), "/Sub"));
}

TEST_P(FatWriting, remove_frees_clusters_and_long_name_slots)
{
    std::uint32_t before = free_clusters();
    create_file("/", "A Long Named File.bin", test_pattern(50'000, 2));
    create_directory("/", "Directory With Files");
    create_file("/Directory With Files", "inner file.txt", "inner");
    EXPECT_EQ(error_of(volume->remove(volume->root(), "Directory With Files"_sv)), ErrorCode::NotEmpty);
    ASSERT_FALSE(volume->remove(volume->root(), "a long named file.BIN"_sv).is_error());
    ASSERT_FALSE(volume->remove(resolve("/Directory With Files"), "inner file.txt"_sv).is_error());
    ASSERT_FALSE(volume->remove(volume->root(), "Directory With Files"_sv).is_error());
    EXPECT_EQ(free_clusters(), before);
    EXPECT_EQ(error_of(volume->remove(volume->root(), "A Long Named File.bin"_sv)), ErrorCode::NotFound);
    EXPECT_EQ(error_of(volume->remove(volume->root(), ".."_sv)), ErrorCode::InvalidArgument);
    create_file("/", "kept.txt", "kept");
    expect_clean();
    std::vector<std::string> tree = host_tree();
    EXPECT_EQ(tree, std::vector<std::string> { "::/kept.txt" });
    // Slots freed by a removal are used again.
    Fat::Entry reused = create_file("/", "Another Long Name.txt", "x");
    EXPECT_LT(reused.location.index, 8u);
    expect_clean();
}

TEST_P(FatWriting, a_full_volume_refuses_and_changes_nothing)
{
    std::uint32_t cluster_size = volume->boot_sector().cluster_size;
    Fat::Entry big = create_file("/", "big.bin", "");
    std::uint32_t free_before = free_clusters();
    ASSERT_FALSE(volume->mark_clean().is_error());
    std::vector<std::uint8_t> pristine = source->bytes;
    // One cluster too many: nothing is written, not even the part that would fit.
    std::string too_much(std::size_t { free_before + 1 } * cluster_size, 'z');
    EXPECT_EQ(error_of(volume->write(big.location, 0, bytes_of(too_much))), ErrorCode::OutOfRange);
    ASSERT_FALSE(volume->mark_clean().is_error());
    EXPECT_EQ(source->bytes, pristine);
    EXPECT_EQ(free_clusters(), free_before);
    // Exactly what is free fits.
    std::string everything = test_pattern(std::size_t { free_before } * cluster_size, 5);
    ASSERT_FALSE(volume->write(big.location, 0, bytes_of(everything)).is_error());
    EXPECT_EQ(free_clusters(), 0u);
    ASSERT_FALSE(volume->mark_clean().is_error());
    pristine = source->bytes;
    // A directory needs a cluster; a file whose directory must grow too. Neither leaves a trace.
    EXPECT_EQ(error_of(volume->create_directory(volume->root(), "no room"_sv)), ErrorCode::OutOfRange);
    ASSERT_FALSE(volume->mark_clean().is_error());
    EXPECT_EQ(source->bytes, pristine);
    std::uint32_t slots = cluster_size / 32;
    int created = 0;
    for (; created < static_cast<int>(slots) + 1; ++created) {
        auto made = volume->create_file(volume->root(), view_of("F" + std::to_string(created)));
        if (made.is_error()) {
            EXPECT_EQ(error_of(made), ErrorCode::OutOfRange);
            break;
        }
    }
    // The root's one cluster holds the label, big.bin and the rest: it filled, and could not grow.
    EXPECT_EQ(created, static_cast<int>(slots) - 2);
    ASSERT_FALSE(volume->mark_clean().is_error());
    pristine = source->bytes;
    EXPECT_EQ(error_of(volume->create_file(volume->root(), "one more"_sv)), ErrorCode::OutOfRange);
    ASSERT_FALSE(volume->mark_clean().is_error());
    EXPECT_EQ(source->bytes, pristine);
    expect_clean();
    EXPECT_EQ(host_read("/big.bin"), everything);
    // Freeing makes room again.
    ASSERT_FALSE(volume->truncate(big.location, cluster_size * 10).is_error());
    create_directory("/", "room again");
    create_file("/", "one more", "made");
    expect_clean();
    EXPECT_EQ(host_read("/one more"), "made");
}

TEST_P(FatWriting, what_mtools_wrote_reads_and_changes)
{
    std::filesystem::path tree = m_directory / "tree";
    std::filesystem::create_directories(tree / "Host Dir" / "nested");
    write_file(tree / "Host Dir" / "nested" / "Deep File.txt", "deep from the host\n");
    write_file(tree / "Host Dir" / "short.txt", "short\n");
    write_file(tree / "A Multi Cluster File.bin", test_pattern(300'000, 9));
    write_file(tree / "Grüße.txt", "grüße\n");
    TestSupport::write_image(image_path(), source->bytes);
    change_on_the_host({ "mcopy -s -i " + image() + " " + quoted((tree / "Host Dir").string()) + " "
        + quoted((tree / "A Multi Cluster File.bin").string()) + " " + quoted((tree / "Grüße.txt").string())
        + " ::/" });
    EXPECT_EQ(read_back("/Host Dir/nested/Deep File.txt"), "deep from the host\n");
    EXPECT_EQ(read_back("/host dir/SHORT.TXT"), "short\n");
    EXPECT_EQ(read_back("/A Multi Cluster File.bin"), test_pattern(300'000, 9));
    EXPECT_EQ(read_back("/Grüße.txt"), "grüße\n");
    // And RaeenOS changes what mtools made.
    Fat::Entry multi = resolve("/A Multi Cluster File.bin");
    ASSERT_FALSE(volume->write(multi.location, 300'000, bytes_of("appended")).is_error());
    ASSERT_FALSE(volume->truncate(resolve("/Host Dir/short.txt").location, 2).is_error());
    ASSERT_FALSE(
        volume->rename(resolve("/Host Dir"), "nested"_sv, volume->root(), "Nested Moved Up"_sv).is_error());
    ASSERT_FALSE(volume->remove(volume->root(), "Grüße.txt"_sv).is_error());
    create_file("/Host Dir", "grüße.txt", "again\n");
    expect_clean();
    EXPECT_EQ(host_read("/A Multi Cluster File.bin"), test_pattern(300'000, 9) + "appended");
    EXPECT_EQ(host_read("/Host Dir/short.txt"), "sh");
    EXPECT_EQ(host_read("/Nested Moved Up/Deep File.txt"), "deep from the host\n");
    EXPECT_EQ(host_read("/Host Dir/grüße.txt"), "again\n");
    std::vector<std::string> listing = host_tree();
    EXPECT_EQ(std::find(listing.begin(), listing.end(), "::/Grüße.txt"), listing.end());
    // mtools in turn changes what RaeenOS wrote.
    change_on_the_host({ "mdel -i " + image() + " " + quoted("::/Host Dir/grüße.txt"),
        "mren -i " + image() + " " + quoted("::/Nested Moved Up") + " " + quoted("::/Back From Linux") });
    EXPECT_EQ(read_back("/Back From Linux/Deep File.txt"), "deep from the host\n");
    EXPECT_EQ(error_of(volume->resolve("/Host Dir/grüße.txt"_sv)), ErrorCode::NotFound);
}

TEST_P(FatWriting, locations_stay_with_their_files)
{
    Fat::Entry first = create_file("/", "first file.txt", "1");
    Fat::Entry second = create_file("/", "second file.txt", "22");
    create_directory("/", "Dir");
    Fat::Entry inner = create_file("/Dir", "inner.txt", "inner");
    EXPECT_EQ(name_of(volume->entry_at(second.location).value()), "second file.txt");
    ASSERT_FALSE(volume->remove(volume->root(), "first file.txt"_sv).is_error());
    // A removed file's location names nothing (until a new entry takes its slots).
    EXPECT_EQ(error_of(volume->entry_at(first.location)), ErrorCode::NotFound);
    EXPECT_EQ(error_of(volume->write(first.location, 0, bytes_of("x"))), ErrorCode::NotFound);
    for (int index = 0; index < 40; ++index)
        create_file("/", "filler number " + std::to_string(index) + ".txt", "");
    // Other entries come and go; these stay where they were.
    Fat::Entry again = volume->entry_at(second.location).value();
    EXPECT_EQ(name_of(again), "second file.txt");
    EXPECT_EQ(again.size, 2u);
    EXPECT_EQ(name_of(volume->entry_at(inner.location).value()), "inner.txt");
    auto written = volume->write(second.location, 2, bytes_of("33"));
    ASSERT_FALSE(written.is_error());
    EXPECT_EQ(written.value().location, second.location);
    EXPECT_EQ(volume->entry_at(second.location).value().size, 4u);
    // A renamed file moves.
    Fat::Entry renamed
        = volume->rename(volume->root(), "second file.txt"_sv, resolve("/Dir"), "second.txt"_sv).value();
    EXPECT_EQ(error_of(volume->entry_at(second.location)), ErrorCode::NotFound);
    EXPECT_EQ(volume->entry_at(renamed.location).value().size, 4u);
    // The root has a location of its own; nonsense locations are not found.
    EXPECT_TRUE(volume->entry_at(volume->root().location).value().is_directory());
    EXPECT_EQ(error_of(volume->entry_at(Fat::Location { 0, 5 })), ErrorCode::NotFound);
    EXPECT_EQ(error_of(volume->entry_at(Fat::Location { 1, 0 })), ErrorCode::NotFound);
    EXPECT_EQ(error_of(volume->entry_at(Fat::Location { volume->boot_sector().root_cluster, 60'000 })),
        ErrorCode::NotFound);
    // Directories are no files to write.
    EXPECT_EQ(
        error_of(volume->write(resolve("/Dir").location, 0, bytes_of("x"))), ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(volume->create_file(inner, "x"_sv)), ErrorCode::NotADirectory);
    expect_clean();
    EXPECT_EQ(host_read("/Dir/second.txt"), "2233");
}

TEST_P(FatWriting, the_clean_bit_and_free_counts_are_kept)
{
    EXPECT_NE(fat_entry(1) & Fat::clean_shutdown_bit, 0u);
    create_file("/", "dirty.txt", "d");
    // In use: both FATs say so, and fsck.fat sees it.
    EXPECT_EQ(fat_entry(1, 0) & Fat::clean_shutdown_bit, 0u);
    EXPECT_EQ(fat_entry(1, 1) & Fat::clean_shutdown_bit, 0u);
    TestSupport::write_image(image_path(), source->bytes);
    std::string output;
    EXPECT_NE(TestSupport::run_command("fsck.fat -n " + image(), output), 0);
    EXPECT_NE(output.find("Dirty bit"), std::string::npos) << output;
    expect_clean();
    EXPECT_NE(fat_entry(1, 0) & Fat::clean_shutdown_bit, 0u);
    EXPECT_NE(fat_entry(1, 1) & Fat::clean_shutdown_bit, 0u);
    // df agrees with mtools.
    std::uint64_t free_bytes = std::uint64_t { free_clusters() } * volume->free_space().value().cluster_size;
    std::string free_text;
    for (const std::string& line : host_listing("/")) {
        if (line.find("bytes free") != std::string::npos)
            for (char character : line)
                if (character >= '0' && character <= '9')
                    free_text += character;
    }
    EXPECT_EQ(free_text, std::to_string(free_bytes));
    EXPECT_EQ(volume->free_space().value().cluster_count, volume->boot_sector().cluster_count);
    // Without a usable FSInfo count, the FAT is counted.
    std::uint32_t counted = free_clusters();
    std::uint64_t information = std::uint64_t { volume->boot_sector().information_sector } * 512;
    for (int byte = 0; byte < 4; ++byte)
        source->bytes[information + 488 + byte] = 0xFF;
    open_volume();
    EXPECT_EQ(free_clusters(), counted);
    // A volume that was not clean when opened stays marked for a check.
    source->bytes[volume->boot_sector().fat_offset + 7] &= static_cast<std::uint8_t>(~0x08);
    open_volume();
    create_file("/", "after a crash.txt", "c");
    ASSERT_FALSE(volume->mark_clean().is_error());
    EXPECT_EQ(fat_entry(1) & Fat::clean_shutdown_bit, 0u);
}

TEST_P(FatWriting, times_follow_the_current_time)
{
    Fat::Entry file = create_file("/", "dated.txt", "d");
    EXPECT_EQ(file.write_date, ((2025 - 1980) << 9) | (6 << 5) | 15);
    EXPECT_EQ(file.write_time, (15 << 11) | (6 << 5) | (40 / 2));
    volume->set_current_time(now + 3600 * 24 * 200 + 1); // 2026-01-01 15:06:41
    Fat::Entry later = volume->write(file.location, 1, bytes_of("e")).value();
    EXPECT_EQ(later.write_date, ((2026 - 1980) << 9) | (1 << 5) | 1);
    EXPECT_EQ(later.write_time, (15 << 11) | (6 << 5) | (41 / 2));
    expect_clean();
    bool found = false;
    for (const std::string& line : host_listing("/"))
        found = found
            || (line.rfind("dated    txt", 0) == 0 && line.find("2026-01-01  15:06") != std::string::npos);
    EXPECT_TRUE(found);
    // The creation time stays the first one (bytes 13 to 17 of the entry).
    std::uint64_t offset = volume->boot_sector().data_offset + std::uint64_t { later.location.index } * 32
        + std::uint64_t { later.location.directory - 2 } * volume->boot_sector().cluster_size;
    EXPECT_EQ(
        source->bytes[offset + 16] | source->bytes[offset + 17] << 8, ((2025 - 1980) << 9) | (6 << 5) | 15);
    EXPECT_EQ(source->bytes[offset + 13], 0); // 15:06:40: an even second
}

// A time set on its own (utimes): the write time and the access date of a file or a
// directory, nothing else; the root has no entry to hold one.
TEST_P(FatWriting, write_times_are_set_on_files_and_directories)
{
    Fat::Entry file = create_file("/", "dated.txt", "contents");
    Fat::Entry directory = create_directory("/", "Dated dir");
    constexpr std::uint64_t moment = 1'300'000'000; // 2011-03-13 07:06:40 UTC
    auto set = volume->set_write_time(file.location, moment);
    ASSERT_FALSE(set.is_error());
    EXPECT_EQ(set.value().write_date, ((2011 - 1980) << 9) | (3 << 5) | 13);
    EXPECT_EQ(set.value().write_time, (7 << 11) | (6 << 5) | (40 / 2));
    EXPECT_EQ(set.value().size, 8u);
    EXPECT_EQ(set.value().first_cluster, file.first_cluster);
    EXPECT_EQ(set.value().attributes, file.attributes);
    auto set_directory = volume->set_write_time(directory.location, moment + 60);
    ASSERT_FALSE(set_directory.is_error());
    EXPECT_EQ(set_directory.value().write_time, (7 << 11) | (7 << 5) | (40 / 2));
    EXPECT_EQ(resolve("/Dated dir").write_time, (7 << 11) | (7 << 5) | (40 / 2));
    EXPECT_EQ(error_of(volume->set_write_time(volume->root().location, moment)), ErrorCode::InvalidArgument);
    expect_clean();
    bool file_seen = false, directory_seen = false;
    for (const std::string& line : host_listing("/")) {
        file_seen = file_seen
            || (line.rfind("dated    txt", 0) == 0 && line.find("2011-03-13   7:06") != std::string::npos);
        directory_seen = directory_seen
            || (line.find("<DIR>") != std::string::npos && line.find("2011-03-13   7:07") != std::string::npos
                && line.find("Dated dir") != std::string::npos);
    }
    EXPECT_TRUE(file_seen);
    EXPECT_TRUE(directory_seen);
    EXPECT_EQ(host_read("/dated.txt"), "contents");
}

TEST_P(FatWriting, bad_requests_change_nothing)
{
    create_file("/", "file.txt", "f");
    create_directory("/", "Dir");
    create_file("/Dir", "inside", "i");
    ASSERT_FALSE(volume->mark_clean().is_error());
    std::vector<std::uint8_t> pristine = source->bytes;
    Fat::Entry file = resolve("/file.txt");
    EXPECT_EQ(error_of(volume->create_file(file, "x"_sv)), ErrorCode::NotADirectory);
    EXPECT_EQ(create_error("/", "bad:name"), ErrorCode::InvalidArgument);
    EXPECT_EQ(create_error("/", "FILE.TXT"), ErrorCode::AlreadyExists);
    EXPECT_EQ(error_of(volume->create_directory(volume->root(), "dir"_sv)), ErrorCode::AlreadyExists);
    EXPECT_EQ(
        error_of(volume->write(resolve("/Dir").location, 0, bytes_of("x"))), ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(volume->write(file.location, 0xFFFF'FFFF, bytes_of("x"))), ErrorCode::OutOfRange);
    EXPECT_EQ(error_of(volume->remove(volume->root(), "missing"_sv)), ErrorCode::NotFound);
    EXPECT_EQ(error_of(volume->remove(volume->root(), "Dir"_sv)), ErrorCode::NotEmpty);
    EXPECT_EQ(error_of(volume->remove(file, "x"_sv)), ErrorCode::NotADirectory);
    EXPECT_EQ(error_of(volume->rename(volume->root(), "Dir"_sv, resolve("/Dir"), "Dir"_sv)),
        ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(volume->rename(volume->root(), "file.txt"_sv, volume->root(), "a?b"_sv)),
        ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(volume->rename(volume->root(), "file.txt"_sv, volume->root(), "DIR"_sv)),
        ErrorCode::AlreadyExists);
    // A directory removed under a caller that kept its entry takes no new names.
    Fat::Entry directory = resolve("/Dir");
    ASSERT_FALSE(volume->remove(directory, "inside"_sv).is_error());
    ASSERT_FALSE(volume->remove(volume->root(), "Dir"_sv).is_error());
    EXPECT_EQ(error_of(volume->create_file(directory, "ghost"_sv)), ErrorCode::NotFound);
    expect_clean();
    // A volume whose FATs are not mirrored is read, not written.
    source->bytes = pristine;
    source->bytes[40] = 0x80;
    open_volume();
    EXPECT_FALSE(volume->boot_sector().writable);
    EXPECT_EQ(create_error("/", "new.txt"), ErrorCode::NotSupported);
    EXPECT_EQ(error_of(volume->remove(volume->root(), "file.txt"_sv)), ErrorCode::NotSupported);
    source->bytes[40] = 0;
    EXPECT_EQ(source->bytes, pristine);
}

INSTANTIATE_TEST_SUITE_P(
    FatClusterSizes, FatWriting, testing::Values(1, 2), [](const testing::TestParamInfo<int>& info) {
        return std::to_string(info.param * 512) + "_byte_clusters";
    });

// The name encoding on its own.
TEST(FatNames, exact_short_names_need_no_long_name)
{
    auto encoded = Fat::encode_name("README.TXT"_sv).value();
    EXPECT_FALSE(encoded.needs_long_name);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(encoded.short_name), 11), "README  TXT");
    EXPECT_EQ(encoded.case_flags, 0);
    encoded = Fat::encode_name("readme.TXT"_sv).value();
    EXPECT_FALSE(encoded.needs_long_name);
    EXPECT_EQ(encoded.case_flags, 0x08);
    encoded = Fat::encode_name("a.b"_sv).value();
    EXPECT_FALSE(encoded.needs_long_name);
    EXPECT_EQ(encoded.case_flags, 0x18);
    for (const char* name :
        { "ReadMe.txt", "toolongname.txt", "a.long", "two.dots.txt", "with space", "a+b" })
        EXPECT_TRUE(Fat::encode_name(Core::StringView(name)).value().needs_long_name) << name;
}

TEST(FatNames, bases_and_numeric_tails)
{
    auto encoded = Fat::encode_name("ReadMe.txt"_sv).value();
    EXPECT_FALSE(encoded.needs_tail) << "only the case differs: the basis stands alone";
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(encoded.short_name), 11), "README  TXT");
    encoded = Fat::encode_name("The Quick Brown.Fox.jpeg"_sv).value();
    EXPECT_TRUE(encoded.needs_tail);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(encoded.short_name), 11), "THEQUICKJPE");
    std::uint8_t alias[11];
    Fat::numeric_tail_alias(encoded.short_name, 1, alias);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(alias), 11), "THEQUI~1JPE");
    Fat::numeric_tail_alias(encoded.short_name, 123456, alias);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(alias), 11), "T~123456JPE");
    encoded = Fat::encode_name("ab"_sv).value();
    Fat::numeric_tail_alias(encoded.short_name, 7, alias);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(alias), 11), "AB~7       ");
    encoded = Fat::encode_name("Ünïcödé.txt"_sv).value();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(encoded.short_name), 11), "_N_C_D_ TXT");
    EXPECT_EQ(encoded.unit_count, 11u);
    EXPECT_EQ(Fat::encode_name("🙂"_sv).value().unit_count, 2u);
}

TEST(FatNames, timestamps_clamp_to_what_fat_holds)
{
    Fat::Timestamp stamp = Fat::encode_timestamp(0);
    EXPECT_EQ(stamp.date, (1 << 5) | 1);
    EXPECT_EQ(stamp.time, 0);
    stamp = Fat::encode_timestamp(now + 1);
    EXPECT_EQ(stamp.date, ((2025 - 1980) << 9) | (6 << 5) | 15);
    EXPECT_EQ(stamp.time, (15 << 11) | (6 << 5) | 20);
    EXPECT_EQ(stamp.hundredths, 100);
    stamp = Fat::encode_timestamp(5'000'000'000ull); // 2128
    EXPECT_EQ(stamp.date, (127 << 9) | (12 << 5) | 31);
    EXPECT_EQ(stamp.time, (23 << 11) | (59 << 5) | 29);
}

} // namespace
