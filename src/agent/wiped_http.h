// Receive buffers for the agent's upstream answers (agent/upstream_client.cc). A
// GetSecretValue or GetParameter(WithDecryption) answer holds the plaintext value, and Beast's
// defaults release its bytes as they are: the connection's read buffer (a flat_buffer: every
// block it outgrows, and the block itself when the connection is dropped) and the response
// body (a std::string: every block it outgrows while a chunked body arrives, and the partial
// body left in the parser when the read fails, times out, is over the limit or throws).
// The types here wipe each of those before it is released, on every path, without copying
// the answer: the body is still a std::string handed to the caller (who wipes it, as before).
// Thread-safety: none needed; a buffer or a body belongs to one exchange at a time.
#pragma once

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "agent/wiped_json.h"  // SecureBlocks

namespace arcana::agent {

// Overwrites n bytes at p (OPENSSL_cleanse: the stores are not optimized away).
void WipeBytes(void* p, size_t n);

template <class S>
void WipeString(S& s) {
  if (!s.empty()) WipeBytes(s.data(), s.size());
  s.clear();
}

// A standard allocator that wipes every block before it hands it back to Blocks.
template <class T, class Blocks = SecureBlocks>
struct WipingStdAllocator {
  using value_type = T;
  WipingStdAllocator() noexcept = default;
  template <class U>
  WipingStdAllocator(const WipingStdAllocator<U, Blocks>&) noexcept {}  // NOLINT: rebinding
  template <class U>
  struct rebind {
    using other = WipingStdAllocator<U, Blocks>;
  };
  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(Blocks::Get(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept {
    WipeBytes(p, n * sizeof(T));
    Blocks::Put(p, n * sizeof(T));
  }
  template <class U>
  bool operator==(const WipingStdAllocator<U, Blocks>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const WipingStdAllocator<U, Blocks>&) const noexcept {
    return false;
  }
};

// A connection's read buffer: every block it releases (outgrown, or with the connection) is
// wiped first.
template <class Blocks = SecureBlocks>
using WipedFlatBufferT = boost::beast::basic_flat_buffer<WipingStdAllocator<char, Blocks>>;
using WipedFlatBuffer = WipedFlatBufferT<>;

// Wipes the whole block of a read buffer whose bytes were all consumed: an answer's bytes stay
// in the block after the parser consumed them, for as long as a pooled connection idles.
// Returns false (and wipes nothing) when unread bytes are left: the caller then drops the
// connection, which releases (and so wipes) the block.
template <class A>
bool WipeConsumed(boost::beast::basic_flat_buffer<A>& b) {
  if (b.size() != 0) return false;
  auto block = b.prepare(b.capacity());  // empty: prepare starts at the block's beginning
  if (block.size() != 0) WipeBytes(block.data(), block.size());
  return true;
}

// A response body (Beast's Body concept) held in a std::string (for Alloc = std::allocator)
// the caller takes without a copy. Unlike http::string_body it wipes every block it outgrows
// and, when the body is dropped before being taken (an error, a timeout, an exception), the
// bytes it holds. A body short enough for the string's inline buffer (under 16 bytes) is not
// a JSON answer with a value in it, and is left to the string.
template <class Alloc = std::allocator<char>>
struct WipedStringBodyT {
  using string_type = std::basic_string<char, std::char_traits<char>, Alloc>;

  struct value_type {
    string_type bytes;
    value_type() = default;
    value_type(value_type&&) noexcept = default;
    value_type& operator=(value_type&& o) noexcept {
      if (this != &o) {
        WipeString(bytes);
        bytes = std::move(o.bytes);
      }
      return *this;
    }
    ~value_type() { WipeString(bytes); }
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    explicit reader(boost::beast::http::header<isRequest, Fields>&, value_type& b) : body_(b) {}

    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      ec = {};
      if (!length) return;
      if (*length > body_.bytes.max_size()) {
        ec = boost::beast::http::error::buffer_overflow;
        return;
      }
      // The parser has already checked Content-Length against its body limit.
      if (*length > body_.bytes.capacity()) MoveTo(static_cast<size_t>(*length));
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      string_type& s = body_.bytes;
      const size_t extra = boost::beast::buffer_bytes(buffers);
      if (extra > s.max_size() - s.size()) {
        ec = boost::beast::http::error::buffer_overflow;
        return 0;
      }
      const size_t need = s.size() + extra;
      if (need > s.capacity()) {
        MoveTo(std::max(need, std::min(s.max_size(), 2 * s.capacity())));
      }
      const size_t at = s.size();
      s.resize(need);  // within the capacity: no reallocation behind our back
      char* dest = s.data() + at;
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        std::memcpy(dest, b.data(), b.size());
        dest += b.size();
      }
      ec = {};
      return extra;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    // Moves the bytes into a block of `capacity` and wipes the one they leave (the string's
    // own growth would release it unwiped).
    void MoveTo(size_t capacity) {
      string_type grown(body_.bytes.get_allocator());
      grown.reserve(capacity);
      grown.append(body_.bytes);
      WipeString(body_.bytes);
      body_.bytes.swap(grown);
    }

    value_type& body_;
  };
};

using WipedStringBody = WipedStringBodyT<>;

}  // namespace arcana::agent
