#pragma once
// A Kafka mock cluster for a test (or a benchmark): tests/cluster/
// kafka_mock.cc in a child process, started by its owner and stopped with
// it. Commands go to its stdin, one per line, and each answer ("ok" or
// "error ...") is read back. A cluster that cannot start aborts the
// process with the reason.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace tutti::testing {

class MockCluster {
 public:
  explicit MockCluster(int brokers = 3, int partitions = 6) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) Fail("no pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::string b = std::to_string(brokers), p = std::to_string(partitions);
    std::vector<std::string> args = {KAFKA_MOCK_BINARY, "--brokers", b, "--partitions", p};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, KAFKA_MOCK_BINARY, &actions, nullptr, argv.data(), environ) != 0) Fail("cannot start");
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_ = ::fdopen(in[1], "w");
    from_ = ::fdopen(out[0], "r");
    std::string first = ReadLine();
    if (first.rfind("bootstrap ", 0) != 0) Fail(("it said '" + first + "'").c_str());
    brokers_ = first.substr(10);
  }
  ~MockCluster() {
    if (to_) {
      std::fputs("quit\n", to_);
      std::fclose(to_);
    }
    if (from_) std::fclose(from_);
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, 0) < 0) ::kill(pid_, SIGKILL);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  /// The bootstrap list ("127.0.0.1:PORT,...").
  const std::string& brokers() const { return brokers_; }
  /// Sends a command ("down 1", "errors 0 3 6", ...); its answer.
  std::string Command(const std::string& line) {
    std::fputs((line + "\n").c_str(), to_);
    std::fflush(to_);
    return ReadLine();
  }

 private:
  static void Fail(const char* why) {
    std::fprintf(stderr, "the mock Kafka cluster (%s) did not start: %s\n", KAFKA_MOCK_BINARY, why);
    std::abort();
  }
  std::string ReadLine() {
    std::string line;
    for (int c; (c = std::fgetc(from_)) != EOF && c != '\n';) line.push_back(static_cast<char>(c));
    return line;
  }

  pid_t pid_ = -1;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
  std::string brokers_;
};

}  // namespace tutti::testing
