// UTF-8 hygiene for audit records. Every reader of the trail (verify, LookupEvents, the event
// bus, the writer resuming its chain) parses records with UTF-8 validation, so a record must
// never carry an invalid sequence: a text cut in the middle of a character, or bytes a
// caller sent (a User-Agent, an operation name) that are not UTF-8 at all. Otherwise the
// record the chain hash covers is one nobody can read back.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace arcana::audit {

// s itself when it is valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points
// beyond U+10FFFF); otherwise each invalid sequence (a byte that starts no valid character,
// with the continuation bytes that follow it) replaced by one U+FFFD.
std::string ValidUtf8(std::string_view s);

// The longest prefix of s of at most max_bytes that does not end inside a multi-byte
// character (s is assumed to be UTF-8; a cut never splits a lead byte from its
// continuation bytes).
std::string_view CutUtf8(std::string_view s, size_t max_bytes);

}  // namespace arcana::audit
