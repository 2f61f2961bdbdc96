#include "localnet_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <thread>

#include "api/http_client.h"

namespace corridor::test {

std::pair<int, nlohmann::json> http_json(uint16_t port, const std::string& method,
                                         const std::string& target, const std::string& body,
                                         uint32_t timeout_ms) {
  auto r =
      api::http_request("127.0.0.1", port, method, target, body, "application/json", timeout_ms);
  if (!r.ok()) return {0, nullptr};
  return {r->status, nlohmann::json::parse(r->body, nullptr, false)};
}

pid_t spawn_process(const std::vector<std::string>& args, const std::string& out_path) {
  // Everything the child needs is built before fork: in a multithreaded parent the child may
  // not allocate (another thread may have held the allocator's lock at the fork).
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const char* out = out_path.c_str();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died between fork and prctl; then nobody would stop this child.
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int stop_process(pid_t pid, uint32_t timeout_ms) {
  if (pid <= 0) return -1;
  ::kill(pid, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string file_tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += l + "\n";
  return out;
}

}  // namespace corridor::test
