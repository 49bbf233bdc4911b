#pragma once
// A Kafka mock cluster for a test: tests/cluster/kafka_mock.cc in a child
// process, started by the test and stopped with it. Commands go to its
// stdin, one per line, and each answer ("ok" or "error ...") is read back.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace tutti::testing {

class MockCluster {
 public:
  explicit MockCluster(int brokers = 3, int partitions = 6) {
    int in[2], out[2];
    EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::string b = std::to_string(brokers), p = std::to_string(partitions);
    std::vector<std::string> args = {KAFKA_MOCK_BINARY, "--brokers", b, "--partitions", p};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, KAFKA_MOCK_BINARY, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_ = ::fdopen(in[1], "w");
    from_ = ::fdopen(out[0], "r");
    std::string first = ReadLine();
    EXPECT_EQ(first.rfind("bootstrap ", 0), 0u) << first;
    if (first.rfind("bootstrap ", 0) == 0) brokers_ = first.substr(10);
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
