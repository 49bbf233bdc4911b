// A webhook receiver that answers at once, for bench/delivery_bench.py:
// every request (HTTP/1.1, read to the end of its body) gets
// "200 OK" with no body, the connection kept open for the next request
// (HTTP/1.1 keep-alive), on one thread with epoll, so that the daemon's
// own delivery path is what is measured. Prints its port, then counts
// requests; SIGTERM prints the count and exits.
//
//   instant_receiver

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace {

volatile sig_atomic_t stop = 0;
void OnSignal(int) { stop = 1; }

/// Whether `in` holds a whole request: its head and Content-Length bytes.
bool Whole(const std::string& in) {
  size_t head = in.find("\r\n\r\n");
  if (head == std::string::npos) return false;
  size_t length = 0;
  for (const char* name : {"Content-Length:", "content-length:"}) {
    size_t at = in.find(name);
    if (at != std::string::npos && at < head) length = std::strtoul(in.c_str() + at + std::strlen(name), nullptr, 10);
  }
  return in.size() >= head + 4 + length;
}

}  // namespace

int main() {
  signal(SIGTERM, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 4096) != 0) {
    std::perror("instant_receiver");
    return 1;
  }
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::printf("%d\n", ntohs(address.sin_port));
  std::fflush(stdout);
  int poll = epoll_create1(0);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = listener;
  epoll_ctl(poll, EPOLL_CTL_ADD, listener, &event);
  std::unordered_map<int, std::string> inputs;
  const char kAnswer[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  unsigned long long answered = 0;
  epoll_event ready[256];
  while (!stop) {
    int n = epoll_wait(poll, ready, 256, 200);
    for (int i = 0; i < n; ++i) {
      int fd = ready[i].data.fd;
      if (fd == listener) {
        for (int client; (client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event e{};
          e.events = EPOLLIN;
          e.data.fd = client;
          epoll_ctl(poll, EPOLL_CTL_ADD, client, &e);
        }
        continue;
      }
      char buffer[65536];
      ssize_t got = read(fd, buffer, sizeof buffer);
      std::string& in = inputs[fd];
      if (got > 0) in.append(buffer, static_cast<size_t>(got));
      if (got > 0 && !Whole(in)) continue;
      if (got > 0) {
        // Kept open for the client's next request, as HTTP/1.1 does.
        (void)!write(fd, kAnswer, sizeof kAnswer - 1);
        ++answered;
        in.clear();
        continue;
      }
      inputs.erase(fd);
      close(fd);
    }
  }
  std::fprintf(stderr, "instant_receiver: answered %llu requests\n", answered);
  return 0;
}
