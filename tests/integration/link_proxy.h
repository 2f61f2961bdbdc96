// LinkProxies: TCP proxies for the peer links of a network of node processes, so that a test can
// cut a node off from the others and heal it again without any test-only code in the node.
//
// Each proxy serves one directed link "node `from` dials node `to`": the test writes the network's
// configuration so that `from` dials the proxy's port, and the proxy connects on to `to`'s real
// peer port. Because every directed link has its own port, the proxy knows which nodes a
// connection joins without looking into the (encrypted) traffic.
//
// isolate(n) closes every connection on a link that touches n and, until heal(n), accepts and at
// once closes new ones: to the nodes it looks exactly like a network that drops the peer. A node
// that is down is handled too: connecting on to it fails and the dialer's connection is closed.
//
// Threading: one thread of its own forwards all links with poll(); every public call may be made
// from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace corridor::test {

// Bytes buffered per direction of one connection; reading from a side stops while its buffer is
// full, so a slow reader slows its writer down instead of growing memory.
inline constexpr size_t proxy_buffer_bytes_max = 1 << 20;
// Connections open at once over all links; beyond it new ones are closed when accepted.
inline constexpr size_t proxy_connections_max = 512;
// How long isolate() and heal() wait for the forwarding thread to apply them.
inline constexpr uint32_t proxy_apply_timeout_ms = 5'000;

struct ProxyLink {
  int from = 0;
  int to = 0;
  uint16_t target_port = 0;  // `to`'s real peer port on 127.0.0.1.
};

struct ProxyCounters {
  uint64_t accepted = 0;          // Connections accepted and connected on to their target.
  uint64_t target_refused = 0;    // Accepted, but the target did not answer (it is down).
  uint64_t refused_isolated = 0;  // Accepted and closed at once: the link touches an isolated node.
  uint64_t closed_by_isolate = 0;  // Open connections closed by isolate().
  uint64_t bytes = 0;              // Bytes forwarded, both directions.
};

class LinkProxies {
 public:
  // Binds one listener per link on 127.0.0.1 (ephemeral ports) and starts forwarding; nullptr
  // with `error` set when a socket call fails.
  static std::unique_ptr<LinkProxies> start(std::vector<ProxyLink> links, std::string& error);
  LinkProxies(const LinkProxies&) = delete;
  LinkProxies& operator=(const LinkProxies&) = delete;
  ~LinkProxies();

  // The port that stands for links[i]: configure node links[i].from to dial links[i].to here.
  uint16_t port(size_t link) const { return ports_[link]; }

  // Cuts every link touching `node` (both directions); returns once no connection on them is
  // open. heal() lets new connections through again (the nodes reconnect by themselves).
  // false when the forwarding thread did not apply the change in time.
  bool isolate(int node);
  bool heal(int node);

  ProxyCounters counters() const;
  void stop();

 private:
  struct Conn;
  LinkProxies() = default;
  bool request(int node, bool isolated);
  void run();
  bool touches_isolated(size_t link) const;  // Called with mu_ held.

  std::vector<ProxyLink> links_;
  std::vector<int> listeners_;
  std::vector<uint16_t> ports_;
  int wake_[2] = {-1, -1};

  mutable std::mutex mu_;
  std::condition_variable applied_cv_;
  std::set<int> isolated_;
  uint64_t requested_ = 0;  // Changes to isolated_ asked for, and ...
  uint64_t applied_ = 0;    // ... how many of them the thread has applied.
  bool stopping_ = false;
  ProxyCounters counters_;
  std::thread thread_;
};

}  // namespace corridor::test
