// Reading audit files back (audit/chain.h layout): the node file sets of a directory and
// their record lines in order. Used by `arcana audit verify|tail|search` and LookupEvents.
// Lines are returned as written (no parsing); the files are only read.
// Thread-safety: free functions; concurrent with a writer appending (a torn last line
// without its newline is not returned).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::audit {

struct NodeFiles {
  std::string node;
  std::vector<std::string> record_files;  // full paths, in file-number order
  std::vector<uint32_t> numbers;          // their numbers
  std::string digest_file;                // full path ("" when absent)
};

// Every node with record or digest files in dir, by name. A missing dir is empty.
Result<std::vector<NodeFiles>> ListNodes(const std::string& dir);

// Calls fn(line) for each complete line of the file at path from byte offset on, until fn
// returns false (a last line without its newline is being written, or torn: not a record
// yet). Errors: kInternalFailure naming the file when it cannot be read.
Status ForEachLineFrom(const std::string& path, uint64_t offset,
                       const std::function<bool(std::string_view line)>& fn);

// Calls fn(line, path, line_number) for each complete line of the files, in order, until fn
// returns false. Errors: kInternalFailure naming an unreadable file.
using LineFn = std::function<bool(std::string_view line, const std::string& path, size_t line_no)>;
Status ForEachLine(const std::vector<std::string>& paths, const LineFn& fn);

// A record line's arcanaSequence; 0 when the line is not a chained record.
uint64_t SequenceOf(std::string_view line);

}  // namespace arcana::audit
