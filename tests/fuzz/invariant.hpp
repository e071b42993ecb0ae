#pragma once
// CHECK(cond) for the fuzz targets: a broken invariant prints what broke and
// aborts, which libFuzzer reports as a crash (fuzz.sh looks for the line).
#include <cstdio>
#include <cstdlib>

[[noreturn]] inline void invariant_broken(const char* what) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
}

#define CHECK(cond)                               \
    do {                                          \
        if (!(cond)) invariant_broken(#cond);     \
    } while (0)
