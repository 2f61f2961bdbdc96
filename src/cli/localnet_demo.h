// `corridor localnet --demo`: once the localnet's nodes answer, sets up (or finds, on a restart)
// four currencies with their central banks, eight banks, two market makers with resting offers
// on every currency pair and a shipping agent, all keys under <dir>/demo/; then drives a steady
// stream of cross-border payments through every node until stopped: exact-receive and
// exact-send path payments, same-currency transfers, payments through the liquidity queue and
// trade-finance escrows. Market makers refill their offers and a treasury keeps every balance
// within a band, so the stream runs indefinitely. Every few seconds one status line reports the
// height, payments final by kind, failures by result code and the finality latency.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace corridor::cli {

inline constexpr uint32_t demo_rate_default = 20;  // Payments started per second.
inline constexpr uint32_t demo_rate_max = 1'000;
inline constexpr uint32_t demo_status_interval_s_default = 5;
inline constexpr uint32_t demo_status_interval_s_max = 3'600;

struct DemoOptions {
  std::string dir;  // The network's directory; the demo's files go to <dir>/demo.
  std::vector<std::string> node_names;
  std::vector<uint16_t> api_ports;  // The nodes' APIs on 127.0.0.1, in node_names' order.
  uint32_t rate = demo_rate_default;
  uint32_t status_interval_s = demo_status_interval_s_default;
};

class LocalnetDemo {
 public:
  // Writes its lines (each whole, flushed) to `out`.
  LocalnetDemo(DemoOptions options, std::ostream& out);
  ~LocalnetDemo();
  LocalnetDemo(const LocalnetDemo&) = delete;
  LocalnetDemo& operator=(const LocalnetDemo&) = delete;

  // Starts the demo on its own threads and returns at once.
  void start();
  // Stops sending, waits for the payments in flight (each bounded by a request timeout) and
  // prints the totals. Idempotent.
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace corridor::cli
