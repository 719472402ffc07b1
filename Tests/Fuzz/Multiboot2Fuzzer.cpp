// libFuzzer target for the multiboot2 boot-information parser. The parser must survive any
// bytes (the sanitizers catch out-of-bounds reads and overflow; a VERIFY aborts), and what
// it returns must keep the promises BootInfo.h makes. Every field is folded into a
// checksum so that the optimizer cannot drop the work of producing it.

#include <Kernel/Boot/Multiboot2.h>
#include <stddef.h>
#include <stdint.h>

namespace {

using Kernel::Boot::BootInfo;

// Stops the run on a broken promise; libFuzzer saves the input that caused it.
void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

uint64_t checksum_text(Core::StringView text)
{
    uint64_t sum = text.length();
    for (char character : text)
        sum = sum * 31 + static_cast<unsigned char>(character);
    return sum;
}

uint64_t checksum_and_check(const BootInfo& info, size_t input_size)
{
    uint64_t sum = info.information_size + info.dropped_memory_regions + info.skipped_tag_count;
    require(info.information_size >= 8 && info.information_size <= input_size);

    for (const auto& region : info.memory_map) {
        uint64_t end;
        require(region.length != 0 && !__builtin_add_overflow(region.base, region.length, &end));
        sum += region.base + region.length + static_cast<uint64_t>(region.type);
        sum += checksum_text(memory_region_type_name(region.type));
    }
    sum += info.usable_memory_bytes() + info.highest_usable_address();

    if (info.framebuffer.has_value()) {
        const auto& framebuffer = info.framebuffer.value();
        uint64_t end;
        require(framebuffer.width != 0 && framebuffer.height != 0 && framebuffer.pitch != 0);
        require(!__builtin_add_overflow(framebuffer.physical_address, framebuffer.size_in_bytes(), &end));
        if (framebuffer.type == Kernel::Boot::FramebufferType::Rgb) {
            require(framebuffer.red_position + framebuffer.red_size <= framebuffer.bits_per_pixel);
            require(framebuffer.green_position + framebuffer.green_size <= framebuffer.bits_per_pixel);
            require(framebuffer.blue_position + framebuffer.blue_size <= framebuffer.bits_per_pixel);
        }
        sum += framebuffer.physical_address + framebuffer.pitch + framebuffer.width + framebuffer.height;
        sum += framebuffer.bits_per_pixel + static_cast<uint64_t>(framebuffer.type);
        sum += framebuffer.red_position + framebuffer.red_size + framebuffer.green_position;
        sum += framebuffer.green_size + framebuffer.blue_position + framebuffer.blue_size;
        sum += checksum_text(framebuffer_type_name(framebuffer.type));
    }

    for (const auto& module : info.modules) {
        require(module.physical_start <= module.physical_end);
        sum += module.physical_start + module.physical_end + module.size();
        sum += checksum_text(module.name.string_view());
    }

    if (info.acpi_rsdp.has_value()) {
        require(info.acpi_rsdp->length == 20 || info.acpi_rsdp->length == 36);
        for (uint8_t byte : info.acpi_rsdp->data())
            sum = sum * 31 + byte;
    }

    sum += checksum_text(info.command_line.string_view()) + checksum_text(info.bootloader_name.string_view());
    sum += static_cast<uint64_t>(info.firmware) + checksum_text(firmware_name(info.firmware));

    require(info.skipped_tags.size() <= info.skipped_tag_count);
    for (const auto& skipped : info.skipped_tags) {
        require(skipped.offset <= info.information_size && !skipped.reason.is_empty());
        sum += skipped.type + skipped.size + skipped.offset + checksum_text(skipped.reason);
    }
    return sum;
}

// Written after every run so that the checksum has an observable use.
volatile uint64_t s_checksum_sink;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto result = Kernel::Boot::parse_multiboot2_information(Core::ReadonlyBytes(data, size));
    if (result.is_error()) {
        s_checksum_sink = static_cast<uint64_t>(result.error().code());
        return 0;
    }
    s_checksum_sink = checksum_and_check(result.value(), size);
    return 0;
}
