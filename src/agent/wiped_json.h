// JSON documents and output buffers for answers that hold secret values (GetSecretValue's
// SecretString, a SecureString parameter's Value). RapidJSON's default allocators free their
// blocks as they are: a parsed document's pool chunks, its parse stack (where each string is
// decoded before it is copied into the pool) and every buffer a growing StringBuffer leaves
// behind kept the plaintext on the heap after the answer was sent. The allocator here wipes
// each block before it returns it, whatever the path: a pool freed with its document, a stack
// shrunk after a parse, a buffer grown by Realloc (always a new block and a wiped old one).
// Thread-safety: the allocator has no state; documents and buffers are single-threaded.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include "crypto/secure_memory.h"

namespace arcana::agent {

// Where the wiping allocator's blocks come from and go back to: the secure allocation of
// crypto/secure_memory.h (the secure heap when there is one, mlock'ed and out of core dumps;
// it wipes again on free). Tests substitute blocks that check what they get back.
struct SecureBlocks {
  static void* Get(size_t n) { return crypto::SecureAlloc(n); }
  static void Put(void* p, size_t n) { crypto::SecureFree(p, n); }
};

// A RapidJSON allocator (its Allocator concept) that zeroes every block before releasing it.
// Free() gets no size from RapidJSON, so each block starts with a header holding its size.
template <class Blocks = SecureBlocks>
class WipingAllocatorT {
 public:
  static const bool kNeedFree = true;

  void* Malloc(size_t size) {
    if (size == 0) return nullptr;
    auto* block = static_cast<unsigned char*>(Blocks::Get(size + kHeader));
    std::memcpy(block, &size, sizeof size);
    return block + kHeader;
  }
  void* Realloc(void* old, size_t old_size, size_t new_size) {
    if (old == nullptr) return Malloc(new_size);
    if (new_size == 0) {
      Free(old);
      return nullptr;
    }
    // Never grown in place: the old block is copied, then wiped and released.
    void* grown = Malloc(new_size);
    std::memcpy(grown, old, std::min({old_size, SizeOf(old), new_size}));
    Free(old);
    return grown;
  }
  static void Free(void* p) {
    if (p == nullptr) return;
    const size_t size = SizeOf(p);
    unsigned char* block = static_cast<unsigned char*>(p) - kHeader;
    volatile unsigned char* v = block;  // volatile: the stores are not elided before release
    for (size_t i = 0; i < size + kHeader; ++i) v[i] = 0;
    Blocks::Put(block, size + kHeader);
  }
  bool operator==(const WipingAllocatorT&) const { return true; }
  bool operator!=(const WipingAllocatorT&) const { return false; }

 private:
  static constexpr size_t kHeader = alignof(std::max_align_t);  // keeps the payload aligned
  static size_t SizeOf(void* p) {
    size_t size;
    std::memcpy(&size, static_cast<unsigned char*>(p) - kHeader, sizeof size);
    return size;
  }
};

template <class Blocks = SecureBlocks>
using WipedDocumentT =
    rapidjson::GenericDocument<rapidjson::UTF8<>,
                               rapidjson::MemoryPoolAllocator<WipingAllocatorT<Blocks>>,
                               WipingAllocatorT<Blocks>>;
template <class Blocks = SecureBlocks>
using WipedStringBufferT = rapidjson::GenericStringBuffer<rapidjson::UTF8<>, WipingAllocatorT<Blocks>>;

using WipedDocument = WipedDocumentT<>;
using WipedStringBuffer = WipedStringBufferT<>;
using WipedWriter = rapidjson::Writer<WipedStringBuffer>;

// A string member of a wiped document's object ("" when absent or not a string).
template <class V>
std::string_view StrMember(const V& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace arcana::agent
