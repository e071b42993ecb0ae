// libFuzzer target: the TOML config loaders must turn any file into a config
// or a ConfigError, never a crash, hang or other exception.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/config.hpp"

namespace {

std::string scratch_file() {
    char path[] = "/tmp/burrow-config-fuzz-XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) std::abort();
    ::close(fd);
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = scratch_file();
    if (size == 0) return 0;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    std::fwrite(data + 1, 1, size - 1, f);
    std::fclose(f);
    try {
        switch (data[0] % 3) {
            case 0: burrow::app::load_relay_file(path); break;
            case 1: burrow::app::load_endpoint_file(path); break;
            default: burrow::app::load_client_file(path); break;
        }
    } catch (const burrow::app::ConfigError&) {
    }
    return 0;
}
