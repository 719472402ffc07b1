#pragma once

// termios.h: the terminal modes the C library's line discipline knows (Descriptors.cpp):
// ICANON (line editing), ECHO and ISIG (^C ends the program). Other flags are kept as 0.

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int tcflag_t;
typedef unsigned char cc_t;

#define NCCS 32
struct termios {
    tcflag_t c_iflag;
    tcflag_t c_oflag;
    tcflag_t c_cflag;
    tcflag_t c_lflag;
    cc_t c_cc[NCCS];
};

#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010

#define TCSANOW 0
#define TCSADRAIN 1
#define TCSAFLUSH 2

int tcgetattr(int descriptor, struct termios* modes);
int tcsetattr(int descriptor, int when, const struct termios* modes);

#ifdef __cplusplus
}
#endif
