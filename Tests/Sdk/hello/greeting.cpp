// The C++ half of the SDK's example: a global with a constructor, which the start files run.

namespace {

struct Greeting {
    const char* text;
    Greeting()
        : text("hello")
    {
    }
};

Greeting s_greeting;

} // namespace

extern "C" const char* greeting()
{
    return s_greeting.text;
}
