#include "tests/support/memory_stream.hpp"

#include <algorithm>
#include <string>

namespace burrow::io::test {
namespace {

End other(End end) noexcept { return end == End::a ? End::b : End::a; }

[[noreturn]] void fail(const error_code& ec, const char* what) { throw boost::system::system_error(ec, what); }

error_code injected() { return make_error_code(boost::system::errc::io_error); }

}  // namespace

class MemoryStream final : public ByteStream {
public:
    MemoryStream(std::shared_ptr<MemoryWire> wire, End end, asio::any_io_executor ex)
        : wire_(std::move(wire)), end_(end), executor_(std::move(ex)) {}
    ~MemoryStream() override { close(); }

    std::optional<std::size_t> try_read(std::span<std::uint8_t> buf) override {
        auto& me = wire_->end_state(end_);
        ++me.reads;
        if (me.faults.fail_read == me.reads) fail(injected(), "memory stream: injected read failure");
        if (me.closed) fail(asio::error::bad_descriptor, "memory stream: read after close");
        auto& in = wire_->direction(other(end_));
        if (!in.bytes.empty()) {
            std::size_t n = std::min(buf.size(), in.bytes.size());
            if (me.faults.one_byte_reads) n = std::min<std::size_t>(n, 1);
            std::copy_n(in.bytes.begin(), n, buf.begin());
            in.bytes.erase(in.bytes.begin(), in.bytes.begin() + static_cast<std::ptrdiff_t>(n));
            return n;
        }
        if (in.reset) fail(asio::error::connection_reset, "memory stream: read");
        if (in.eof) return 0;
        return std::nullopt;
    }

    awaitable<void> wait_readable() override {
        const auto wire = wire_;
        auto& me = wire->end_state(end_);
        auto& in = wire->direction(other(end_));
        for (;;) {
            if (me.closed) fail(asio::error::operation_aborted, "memory stream: wait");
            if (!in.bytes.empty() || in.eof || in.reset) co_return;
            in.readable.expires_at(asio::steady_timer::time_point::max());
            error_code ec;
            co_await in.readable.async_wait(redirect_error(use_awaitable, ec));
        }
    }

    awaitable<void> write_all(std::span<const std::uint8_t> bytes) override {
        const auto wire = wire_;
        auto& me = wire->end_state(end_);
        auto& out = wire->direction(end_);
        const std::size_t nth = ++me.writes;
        if (me.faults.fail_write == nth) fail(injected(), "memory stream: injected write failure");
        if (me.closed) fail(asio::error::bad_descriptor, "memory stream: write after close");
        if (me.faults.stall_write == nth) {
            while (!me.closed && !out.eof) {
                me.stall.expires_at(asio::steady_timer::time_point::max());
                error_code ec;
                co_await me.stall.async_wait(redirect_error(use_awaitable, ec));
            }
            fail(asio::error::operation_aborted, "memory stream: stalled write");
        }
        if (out.eof || wire->end_state(other(end_)).closed) fail(asio::error::broken_pipe, "memory stream: write");
        std::size_t take = bytes.size();
        const auto cut = me.faults.cut_after;
        const bool cutting = cut && me.written + take > *cut;
        if (cutting) take = *cut > me.written ? *cut - me.written : 0;
        out.bytes.insert(out.bytes.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
        me.written += take;
        out.readable.cancel();
        if (cutting) {
            const bool reset = me.faults.cut_resets;
            wire->cut(reset);
            fail(reset ? asio::error::connection_reset : asio::error::broken_pipe, "memory stream: write");
        }
        co_await asio::post(executor_, use_awaitable);  // a socket's write completes later, too
    }

    void shutdown_send() noexcept override {
        auto& out = wire_->direction(end_);
        out.eof = true;
        out.readable.cancel();
        wire_->end_state(end_).stall.cancel();
    }

    void close() noexcept override {
        auto& me = wire_->end_state(end_);
        if (me.closed) return;
        me.closed = true;
        me.stall.cancel();
        wire_->direction(other(end_)).readable.cancel();  // our own reader wakes and fails
        shutdown_send();
    }

    void reset() noexcept override {
        auto& out = wire_->direction(end_);
        if (!wire_->end_state(end_).closed) {
            out.reset = true;
            out.bytes.clear();  // as with TCP's RST, what the peer has not read is lost
        }
        close();
    }

    std::string describe() const override { return end_ == End::a ? "memory a" : "memory b"; }

private:
    std::shared_ptr<MemoryWire> wire_;
    End end_;
    asio::any_io_executor executor_;
};

MemoryWire::MemoryWire(asio::any_io_executor ex)
    : directions_{Direction(ex), Direction(ex)}, ends_{EndState(ex), EndState(ex)} {}

void MemoryWire::end_direction(End writer, bool reset) {
    auto& d = direction(writer);
    d.eof = true;
    d.reset = d.reset || reset;
    d.readable.cancel();
    end_state(writer).stall.cancel();
}

void MemoryWire::cut(bool reset) {
    end_direction(End::a, reset);
    end_direction(End::b, reset);
}

MemoryStreamPair make_memory_stream_pair(asio::any_io_executor ex) {
    auto wire = std::make_shared<MemoryWire>(ex);
    MemoryStreamPair pair;
    pair.a = std::make_unique<MemoryStream>(wire, End::a, ex);
    pair.b = std::make_unique<MemoryStream>(wire, End::b, ex);
    pair.wire = std::move(wire);
    return pair;
}

}  // namespace burrow::io::test
