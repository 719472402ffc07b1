#pragma once

#include <Core/StringView.h>
#include <Core/Types.h>

namespace Kernel::Console {

// The 16 colours of the classic text palette; consoles without colour ignore them.
enum class Color : Core::u8 {
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    White,
    Gray,
    BrightRed,
    BrightGreen,
    BrightYellow,
    BrightBlue,
    BrightMagenta,
    BrightCyan,
    BrightWhite,
};

// A place kernel text can be shown: the serial port, the framebuffer. Writes must be
// safe to call from the panic path, so implementations never allocate or block.
class ConsoleDevice {
public:
    virtual void write(Core::StringView text, Color foreground) = 0;
    virtual Core::StringView name() const = 0;

protected:
    ~ConsoleDevice() = default;
};

} // namespace Kernel::Console
