#pragma once
// What a StreamPump puts between the local plaintext and the tunnel stream:
// the end-to-end handshake and records (io/e2e_codec.hpp). Without a codec
// the pump passes bytes unchanged.
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

namespace burrow::io {

class StreamCodec {
public:
    virtual ~StreamCodec() = default;
    // Bytes that must go on the stream now (handshake messages); empty if none.
    virtual std::vector<std::uint8_t> take_output() = 0;
    // Stream bytes from the peer in, local plaintext out. An error kills the stream.
    virtual std::error_code decode(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& plain) = 0;
    // True once local bytes may be encoded.
    virtual bool can_encode() const = 0;
    // True once what encode() and finish() append is end-to-end records.
    virtual bool sends_records() const = 0;
    // The most plaintext whose encoding fits in `room` stream bytes.
    virtual std::size_t plain_fits(std::size_t room) const = 0;
    // Before can_encode(), encode() and finish() fail and append nothing.
    virtual std::error_code encode(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out) = 0;
    // Appends what ends this side's direction (sent before FIN).
    virtual std::error_code finish(std::vector<std::uint8_t>& out) = 0;
    // The peer sent FIN: an error if its direction did not end as the peer
    // meant it (the stream was cut short on the way).
    virtual std::error_code on_peer_fin() const = 0;
};

}  // namespace burrow::io
