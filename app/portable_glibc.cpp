// Linked into the portable burrow only (BURROW_PORTABLE). The static
// libstdc++ calls arc4random, which glibc has only from 2.36 on; this one,
// made from getrandom (glibc 2.25), takes its place, so that the portable
// burrow runs on glibc 2.35 (Ubuntu 22.04). The newest symbol it needs then
// is _dl_find_object (2.35), from the static libgcc's unwinder.
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

extern "C" std::uint32_t arc4random(void) {
    std::uint32_t value = 0;
    for (;;) {
        const auto got = ::getrandom(&value, sizeof value, 0);
        if (got == static_cast<ssize_t>(sizeof value)) return value;
        if (got < 0 && errno != EINTR) std::abort();  // no randomness: nothing safe to go on with
    }
}
