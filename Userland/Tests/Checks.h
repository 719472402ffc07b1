#pragma once

// Numbered checks for user-space test programs, which exit with 0 when every check passed
// and with the number of the first one that failed, so that the kernel test that ran them
// can say which:
//
//   CheckCounter checks;
//   if (!checks.expect(System::handle_info(self) >= 0))
//       return checks.failed_check();

#include <stdint.h>

class CheckCounter {
public:
    // Counts one more check; whether it passed.
    bool expect(bool condition)
    {
        ++m_count;
        return condition;
    }

    // The number of the latest check: the exit status once it has failed.
    int64_t failed_check() const { return m_count; }

private:
    int64_t m_count { 0 };
};
