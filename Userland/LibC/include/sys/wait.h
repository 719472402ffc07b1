#pragma once

// sys/wait.h: reading system()'s wait status. RaeenOS's exit statuses are 64 bits
// (raeen_wait gives them whole); a wait status keeps their low eight bits.

#define WIFEXITED(status) (((status)&0x7F) == 0)
#define WEXITSTATUS(status) (((status) >> 8) & 0xFF)
