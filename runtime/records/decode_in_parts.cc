#include "runtime/records/decode_in_parts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <istream>
#include <streambuf>
#include <system_error>
#include <thread>
#include <vector>

namespace tutti::runtime {
namespace {

/// Bytes [offset, offset + limit) of an open file, read with pread (so
/// that every part reads the one file opened, each at its own place).
/// short_read() tells when the file ended, or a read failed, before them.
class RangeBuf : public std::streambuf {
 public:
  RangeBuf(int fd, uint64_t offset, uint64_t limit) : fd_(fd), offset_(offset), left_(limit) {}
  bool short_read() const { return short_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (left_ == 0) return traits_type::eof();
    ssize_t n;
    do {
      n = ::pread(fd_, buffer_, static_cast<size_t>(std::min<uint64_t>(left_, sizeof buffer_)),
                  static_cast<off_t>(offset_));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      short_ = true;
      return traits_type::eof();
    }
    offset_ += static_cast<uint64_t>(n);
    left_ -= static_cast<uint64_t>(n);
    setg(buffer_, buffer_, buffer_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  int fd_;
  uint64_t offset_, left_;
  bool short_ = false;
  char buffer_[1 << 16];
};

/// One past the newline that ends the line holding byte `at`; `size` when
/// the line runs to the end of the file (or the file cannot be read).
uint64_t LineEndAfter(int fd, uint64_t at, uint64_t size) {
  char block[1 << 12];
  for (uint64_t pos = at; pos < size;) {
    ssize_t n = ::pread(fd, block, static_cast<size_t>(std::min<uint64_t>(size - pos, sizeof block)),
                        static_cast<off_t>(pos));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (const void* nl = std::memchr(block, '\n', static_cast<size_t>(n)))
      return pos + static_cast<uint64_t>(static_cast<const char*>(nl) - block) + 1;
    pos += static_cast<uint64_t>(n);
  }
  return size;
}

/// Closes a descriptor when it goes.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

DecodedFile DecodeFileInParts(const SchemaTable& table, const std::string& path, const DecodeOptions& options,
                              size_t parts, uint64_t smallest) {
  // A pipe or a device is read as it comes, by DecodeFile: only a regular
  // file has a size to cut and places to read again.
  std::error_code ec;
  if (parts <= 1 || !std::filesystem::is_regular_file(path, ec)) return DecodeFile(table, path, options);
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) return DecodeFile(table, path, options);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < smallest) return DecodeFile(table, path, options);
  parts = static_cast<size_t>(std::min<uint64_t>(parts, size / std::max<uint64_t>(smallest / 2, 1)));

  // Part i is [cuts[i], cuts[i + 1]): each cut is just past a newline.
  std::vector<uint64_t> cuts = {0};
  for (size_t i = 1; i < parts; ++i) {
    uint64_t cut = LineEndAfter(file.fd, std::max(cuts.back(), size / parts * i), size);
    if (cut >= size) break;
    if (cut > cuts.back()) cuts.push_back(cut);
  }
  cuts.push_back(size);

  std::vector<DecodedFile> decoded(cuts.size() - 1);
  auto decode = [&](size_t i) {
    try {
      RangeBuf range(file.fd, cuts[i], cuts[i + 1] - cuts[i]);
      std::istream part(&range);
      decoded[i] = DecodeFile(table, part, options);
      if (range.short_read()) decoded[i].read = Status::Unavailable("error while reading " + path + ", or it changed while it was read");
    } catch (const std::exception& e) {
      decoded[i] = DecodedFile{};
      decoded[i].read = Status::Unavailable("cannot decode " + path + ": " + e.what());
    }
  };
  // Part 0 on this thread; a part whose thread cannot start is decoded
  // here too, after.
  std::vector<std::thread> threads;
  std::vector<size_t> here = {0};
  for (size_t i = 1; i < decoded.size(); ++i) {
    try {
      threads.emplace_back(decode, i);
    } catch (const std::system_error&) {
      here.push_back(i);
    }
  }
  for (size_t i : here) decode(i);
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
  // Bytes appended while the parts were read are not read: the file ends
  // where it ended when opened.
  return out;
}

}  // namespace tutti::runtime
