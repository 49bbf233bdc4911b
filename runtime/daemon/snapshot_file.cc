#include "runtime/daemon/snapshot_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "runtime/engine/stable_hash.h"

namespace tutti::runtime {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "tutti-snapshot-1\n";
constexpr std::string_view kPrefix = "snapshot-";

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i) & 0xff));
}

/// Reads the parts of a snapshot file in order; every read checks the
/// bytes are there.
class Parts {
 public:
  explicit Parts(std::string_view bytes) : in_(bytes) {}
  bool U64(uint64_t* v) {
    if (in_.size() - pos_ < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return true;
  }
  bool Text(std::string* out) {
    uint64_t n = 0;
    if (!U64(&n) || n > in_.size() - pos_) return false;
    out->assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  size_t left() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

std::string FileName(uint64_t position) {
  char name[32];
  std::snprintf(name, sizeof name, "%.*s%016llx", static_cast<int>(kPrefix.size()), kPrefix.data(),
                static_cast<unsigned long long>(position));
  return name;
}

/// Writes `bytes` to `path` (0600) and syncs it; errno's text when that
/// fails.
std::optional<std::string> WriteSynced(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::strerror(errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = n < 0 ? std::strerror(errno) : "the disk took nothing";
      ::close(fd);
      return why;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return why;
  }
  ::close(fd);
  return std::nullopt;
}

}  // namespace

Status WriteSnapshot(const std::string& dir, const Snapshot& snapshot, size_t keep) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  std::string bytes(kMagic);
  PutU64(bytes, snapshot.position);
  PutU64(bytes, static_cast<uint64_t>(snapshot.logged_now));
  PutU64(bytes, snapshot.versions.size());
  for (const std::string& v : snapshot.versions) {
    PutU64(bytes, v.size());
    bytes += v;
  }
  PutU64(bytes, snapshot.engine.size());
  bytes += snapshot.engine;
  PutU64(bytes, StableHash(bytes));

  std::string path = SnapshotPath(dir, snapshot.position);
  std::string temporary = path + ".tmp";
  if (auto why = WriteSynced(temporary, bytes)) {
    fs::remove(temporary, ec);
    return Status::Unavailable("cannot write the snapshot " + temporary + ": " + *why);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    fs::remove(temporary, ec);
    return Status::Unavailable("cannot rename the snapshot to " + path + ": " + why);
  }
  // The rename itself is durable once the folder is synced.
  int folder = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder >= 0) {
    ::fsync(folder);
    ::close(folder);
  }
  // Only older ones go: the one just written is always kept, and one past
  // it (which no log that fits this one can have) is not this call's to judge.
  size_t kept = 0;
  for (const auto& [position, file] : SnapshotFiles(dir))
    if (position <= snapshot.position && ++kept > keep) fs::remove(file, ec);
  return Status::Ok();
}

std::string SnapshotPath(const std::string& dir, uint64_t position) { return dir + "/" + FileName(position); }

std::vector<std::pair<uint64_t, std::string>> SnapshotFiles(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() == kPrefix.size() + 16 && name.compare(0, kPrefix.size(), kPrefix) == 0 &&
        name.find_first_not_of("0123456789abcdef", kPrefix.size()) == std::string::npos)
      out.emplace_back(std::stoull(name.substr(kPrefix.size()), nullptr, 16), entry.path().string());
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

size_t SetAsideSnapshotsPast(const std::string& dir, uint64_t log_size) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& [position, file] : SnapshotFiles(dir))
    if (position > log_size) {
      fs::rename(file, file + ".stale", ec);
      ++n;
    }
  return n;
}

void RemoveUnfinishedSnapshots(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.compare(0, kPrefix.size(), kPrefix) == 0 && entry.path().extension() == ".tmp") fs::remove(entry.path(), ec);
  }
}

Result<Snapshot> ReadSnapshot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  std::string bytes;
  if (in && !ec) {
    bytes.resize(size);  // the file's real size: no more is read
    in.read(bytes.data(), static_cast<std::streamsize>(size));
  }
  if (!in || ec) return Status::Unavailable("cannot read " + path);
  return DecodeSnapshot(bytes, path);
}

Result<Snapshot> DecodeSnapshot(std::string_view bytes, const std::string& path) {
  if (bytes.substr(0, kMagic.size()) != kMagic) return Status::Corruption(path + " is not a tutti snapshot");
  if (bytes.size() < kMagic.size() + 8) return Status::Corruption(path + " is cut short");
  std::string_view body(bytes.data(), bytes.size() - 8);
  uint64_t sum = 0;
  Parts(bytes.substr(body.size())).U64(&sum);
  if (sum != StableHash(body)) return Status::Corruption(path + " is damaged (its checksum does not match)");
  Parts parts(body.substr(kMagic.size()));
  Snapshot s;
  uint64_t logged_now = 0, versions = 0;
  bool whole = parts.U64(&s.position) && parts.U64(&logged_now) && parts.U64(&versions) && versions <= parts.left();
  s.logged_now = static_cast<Instant>(logged_now);
  for (uint64_t i = 0; whole && i < versions; ++i) whole = parts.Text(&s.versions.emplace_back());
  whole = whole && parts.Text(&s.engine) && parts.left() == 0;
  if (!whole) return Status::Corruption(path + " is damaged (its parts do not add up)");
  return s;
}

}  // namespace tutti::runtime
