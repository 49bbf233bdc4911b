#include "runtime/records/decode_in_parts.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <istream>
#include <streambuf>
#include <thread>
#include <vector>

namespace tutti::runtime {
namespace {

/// Below this a file is decoded on one thread: starting threads would cost
/// more than they save.
constexpr uint64_t kSmallestSplit = 4 << 20;

/// The bytes of `file` from its current position, `limit` of them at most.
class RangeBuf : public std::streambuf {
 public:
  RangeBuf(std::streambuf* file, uint64_t limit) : file_(file), left_(limit) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (left_ == 0) return traits_type::eof();
    std::streamsize n = file_->sgetn(buffer_, static_cast<std::streamsize>(std::min<uint64_t>(left_, sizeof buffer_)));
    if (n <= 0) return traits_type::eof();
    left_ -= static_cast<uint64_t>(n);
    setg(buffer_, buffer_, buffer_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::streambuf* file_;
  uint64_t left_;
  char buffer_[1 << 16];
};

/// Where the line that holds byte `at` ends, one past its newline; `size`
/// when it runs to the end of the file.
uint64_t LineEndAfter(std::ifstream& in, uint64_t at, uint64_t size) {
  in.clear();
  in.seekg(static_cast<std::streamoff>(at));
  char block[1 << 12];
  uint64_t pos = at;
  while (pos < size) {
    in.read(block, sizeof block);
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    const char* nl = static_cast<const char*>(std::memchr(block, '\n', static_cast<size_t>(n)));
    if (nl != nullptr) return pos + static_cast<uint64_t>(nl - block) + 1;
    pos += static_cast<uint64_t>(n);
  }
  return size;
}

}  // namespace

DecodedFile DecodeFileInParts(const SchemaTable& table, const std::string& path, const DecodeOptions& options,
                              size_t parts) {
  std::ifstream probe(path, std::ios::binary | std::ios::ate);
  if (!probe) {
    DecodedFile out;
    out.read = Status::NotFound("cannot open " + path);
    return out;
  }
  const auto end = probe.tellg();
  const uint64_t size = end < 0 ? 0 : static_cast<uint64_t>(end);
  if (parts <= 1 || size < kSmallestSplit) return DecodeFile(table, path, options);
  parts = std::min<uint64_t>(parts, size / (kSmallestSplit / 2));

  // Part i is [cuts[i], cuts[i + 1]): each cut is just past a newline.
  std::vector<uint64_t> cuts = {0};
  for (size_t i = 1; i < parts; ++i) {
    uint64_t cut = LineEndAfter(probe, std::max(cuts.back(), size / parts * i), size);
    if (cut >= size) break;
    if (cut > cuts.back()) cuts.push_back(cut);
  }
  cuts.push_back(size);
  if (!probe) probe.clear();

  std::vector<DecodedFile> decoded(cuts.size() - 1);
  auto decode = [&](size_t i) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      decoded[i].read = Status::NotFound("cannot open " + path);
      return;
    }
    in.seekg(static_cast<std::streamoff>(cuts[i]));
    RangeBuf range(in.rdbuf(), cuts[i + 1] - cuts[i]);
    std::istream part(&range);
    decoded[i] = DecodeFile(table, part, options);
    if (in.bad()) decoded[i].read = Status::Unavailable("error while reading " + path);
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < decoded.size(); ++i) threads.emplace_back(decode, i);
  decode(0);
  for (std::thread& t : threads) t.join();

  DecodedFile out = std::move(decoded[0]);
  for (size_t i = 1; i < decoded.size(); ++i) {
    DecodedFile& part = decoded[i];
    if (!part.read.ok() && out.read.ok()) out.read = part.read;
    // Its lines come after every line before it.
    const size_t before = out.lines;
    for (Record& r : part.records) {
      r.line += before;
      if (r.input) *r.input += before;
    }
    for (DecodeError& e : part.errors) e.line += before;
    out.records.insert(out.records.end(), std::make_move_iterator(part.records.begin()),
                       std::make_move_iterator(part.records.end()));
    out.errors.insert(out.errors.end(), std::make_move_iterator(part.errors.begin()),
                      std::make_move_iterator(part.errors.end()));
    out.lines += part.lines;
    out.blank += part.blank;
    out.events += part.events;
    out.profiles += part.profiles;
  }
  return out;
}

}  // namespace tutti::runtime
