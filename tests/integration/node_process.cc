#include "node_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace corridor::test {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

NodeProcess::NodeProcess(std::string dir, std::string network_name, uint32_t block_interval_ms)
    : dir_(std::move(dir)), data_dir_(dir_ + "/data"), config_path_(dir_ + "/node.toml") {
  port_ = free_port();
  std::ofstream cfg(config_path_);
  cfg << "[node]\ndata_dir = \"" << data_dir_ << "\"\nnetwork_name = \"" << network_name
      << "\"\ncheck_invariants = true\n\n[sequencer]\nblock_interval_ms = " << block_interval_ms
      << "\n\n[api]\nport = " << port_ << "\nthreads = 4\n";
}

NodeProcess::~NodeProcess() {
  if (pid_ > 0) kill_hard();
}

bool NodeProcess::start(uint32_t timeout_ms) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open((dir_ + "/node.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(CORRIDOR_BINARY, CORRIDOR_BINARY, "node", "--config", config_path_.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (get("/v1/status").first == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void NodeProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

int NodeProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::string NodeProcess::log() const {
  std::ifstream in(dir_ + "/node.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
std::pair<int, nlohmann::json> to_pair(const Result<api::HttpResponse>& r) {
  if (!r.ok()) return {0, nullptr};
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  return {r->status, j};
}
}  // namespace

std::pair<int, nlohmann::json> NodeProcess::get(const std::string& target) const {
  return to_pair(
      api::http_request("127.0.0.1", port_, "GET", target, "", "application/json", 5'000));
}

std::pair<int, nlohmann::json> NodeProcess::post(const std::string& target,
                                                 const nlohmann::json& body) const {
  return to_pair(api::http_request("127.0.0.1", port_, "POST", target, body.dump(),
                                   "application/json", 30'000));
}

}  // namespace corridor::test
