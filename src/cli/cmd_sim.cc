#include "cli/cmd_sim.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace corridor::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double permille_per_unit = 1'000.0;
constexpr double ms_per_s = 1'000.0;

struct SimFlags {
  std::optional<uint64_t> seed;
  uint64_t seeds = 0;
  uint64_t from = 1;
  uint32_t validators = 0;
  std::string profile;
  std::optional<double> loss;
  std::string faults = "all";
  uint64_t duration_ms = 0;
  bool trace = false;
};

struct MeasureFlags {
  uint32_t validators = 4;
  std::string profile = "lan";
  uint64_t duration_ms = 0;
  bool crash_leader = false;
  uint64_t seed = 1;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string fixed(double value, int precision) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(precision);
  s << value;
  return s.str();
}

// "all", "none", or a comma-separated list of fault class names.
std::optional<uint32_t> parse_faults(const std::string& text) {
  if (text == "all") return sim::fault_classes_all;
  if (text == "none") return 0u;
  const std::pair<const char*, uint32_t> names[] = {
      {"crash", sim::fault_crash},
      {"wipe", sim::fault_wipe},
      {"pause", sim::fault_pause},
      {"partition", sim::fault_partition},
      {"twins", sim::fault_twins},
      {"equivocate", sim::fault_equivocate},
      {"conflicting-vote", sim::fault_conflicting_vote},
      {"invalid-proposal", sim::fault_invalid_proposal},
      {"withhold", sim::fault_withhold},
      {"epoch", sim::fault_epoch}};
  uint32_t mask = 0;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    bool known = false;
    for (const auto& [name, bit] : names)
      if (item == name) {
        mask |= bit;
        known = true;
      }
    if (!known) return std::nullopt;
  }
  return mask;
}

void print_summary(const sim::SimResult& r, double wall_s, std::ostream& out) {
  const sim::Scenario& s = r.scenario;
  out << "seed " << r.seed << ": " << (r.ok ? "ok" : "FAILED: " + r.failure) << "\n";
  out << "  validators " << s.validators << " (f=" << s.f() << "), " << sim::profile_name(s.profile)
      << ", loss " << s.loss_permille << "/1000, duplication " << s.duplicate_permille
      << "/1000, faults for " << s.duration_ms << " ms\n";
  const auto faults = s.describe();
  if (faults.empty()) out << "  no faults\n";
  for (const std::string& line : faults) out << "  " << line << "\n";
  out << "  committed height " << r.committed_height << " in epoch " << r.epoch << ", transfers "
      << r.txs_created << " created, " << r.txs_applied << " applied\n";
  out << "  messages " << r.messages_sent << " sent, " << r.messages_delivered << " delivered, "
      << r.messages_dropped << " dropped, " << r.messages_undecodable << " undecodable; "
      << r.invalid_messages << " refused by honest cores\n";
  char hash[24];
  std::snprintf(hash, sizeof hash, "%016" PRIx64, r.trace_hash);
  out << "  virtual time " << fixed(static_cast<double>(r.virtual_ms) / ms_per_s, 3) << " s, "
      << r.events << " events, wall time " << fixed(wall_s, 3) << " s, trace hash " << hash << "\n";
}

int run_sim(const SimFlags& f) {
  sim::SimOptions options;
  options.scenario.validators = f.validators;
  if (!f.profile.empty())
    options.scenario.profile =
        f.profile == "wan" ? sim::NetworkProfile::wan : sim::NetworkProfile::lan;
  if (f.loss)
    options.scenario.loss_permille =
        static_cast<uint32_t>(std::lround(*f.loss * permille_per_unit));
  auto faults = parse_faults(f.faults);
  if (!faults) {
    std::cerr << "corridor sim: unknown fault class in '" << f.faults << "'\n";
    return exit_usage;
  }
  options.scenario.fault_classes = *faults;
  options.scenario.duration_ms = f.duration_ms;
  if (f.trace) options.trace_sink = [](const std::string& line) { std::cout << line << "\n"; };

  if (f.seed || f.seeds == 0) {
    const uint64_t seed = f.seed.value_or(f.from);
    const auto start = Clock::now();
    sim::SimResult r = sim::run_simulation(seed, options);
    const double wall = seconds_since(start);
    print_summary(r, wall, std::cout);
    if (r.ok) return exit_ok;
    std::cerr << sim::format_failure(r);
    return exit_failed;
  }

  const auto start = Clock::now();
  for (uint64_t seed = f.from; seed < f.from + f.seeds; ++seed) {
    const auto seed_start = Clock::now();
    sim::SimResult r = sim::run_simulation(seed, options);
    const double wall = seconds_since(seed_start);
    std::cout << "seed " << seed << ": " << (r.ok ? "ok" : "FAILED")
              << " n=" << r.scenario.validators << " " << sim::profile_name(r.scenario.profile)
              << " loss=" << r.scenario.loss_permille << " faults=" << r.scenario.describe().size()
              << " height=" << r.committed_height << " epoch=" << r.epoch
              << " msgs=" << r.messages_sent << " virtual=" << r.virtual_ms
              << "ms wall=" << fixed(wall, 2) << "s\n";
    if (!r.ok) {
      std::cerr << sim::format_failure(r);
      std::cerr << "corridor sim: seed " << seed << " failed (" << (seed - f.from) << " of "
                << f.seeds << " passed)\n";
      return exit_failed;
    }
  }
  std::cout << f.seeds << " seeds from " << f.from << " passed in "
            << fixed(seconds_since(start), 1) << " s\n";
  return exit_ok;
}

int run_measure(const MeasureFlags& f) {
  sim::MeasureOptions o;
  o.validators = f.validators;
  o.profile = f.profile == "wan" ? sim::NetworkProfile::wan : sim::NetworkProfile::lan;
  o.duration_ms = f.duration_ms;
  o.crash_leader = f.crash_leader;
  o.seed = f.seed;
  const auto start = Clock::now();
  sim::MeasureResult m = sim::run_measurement(o);
  const double wall = seconds_since(start);
  if (!m.ok) {
    std::cerr << "corridor sim measure: the run failed: " << m.failure << "\n";
    return exit_failed;
  }
  std::cout << "validators " << f.validators << ", " << f.profile << ", "
            << fixed(static_cast<double>(m.virtual_ms) / ms_per_s, 1) << " s virtual ("
            << fixed(wall, 2) << " s wall)\n";
  std::cout << "committed_blocks_per_s: " << fixed(m.blocks_per_s, 1) << "\n";
  std::cout << "transfers_per_s: " << fixed(m.txs_per_s, 1) << " (offered load of the workload)\n";
  std::cout << "commit_latency_p50_ms: " << fixed(m.latency_p50_ms, 1) << "\n";
  std::cout << "commit_latency_p99_ms: " << fixed(m.latency_p99_ms, 1) << "\n";
  if (f.crash_leader)
    std::cout << "longest_commit_gap_after_leader_crash_ms: " << m.crash_gap_ms << "\n";
  return exit_ok;
}

}  // namespace

void add_sim_command(CLI::App& app, int& rc) {
  auto* sim = app.add_subcommand(
      "sim", "Deterministic simulation of a validator network (replays a seed exactly)");
  auto flags = std::make_shared<SimFlags>();
  sim->add_option("--seed", flags->seed, "Run this one seed and print its summary");
  sim->add_option("--seeds", flags->seeds,
                  "Run this many consecutive seeds; stop at the first failure");
  sim->add_option("--from", flags->from, "First seed of --seeds")->capture_default_str();
  sim->add_option("--validators", flags->validators, "Validators (default: drawn from the seed)")
      ->check(CLI::Range(1, 64));
  sim->add_option("--profile", flags->profile,
                  "Network: lan (1 ms) or wan (50-150 ms); default: drawn")
      ->check(CLI::IsMember({"lan", "wan"}));
  sim->add_option("--loss", flags->loss, "Message loss rate, 0 to 0.3 (default: drawn)")
      ->check(CLI::Range(0.0, 0.3));
  sim->add_option("--faults", flags->faults,
                  "all, none, or a list of crash,wipe,pause,partition,twins,equivocate,"
                  "conflicting-vote,invalid-proposal,withhold,epoch")
      ->capture_default_str();
  sim->add_option("--duration-ms", flags->duration_ms,
                  "Virtual time of faults before healing (default: by profile)");
  sim->add_flag("--trace", flags->trace, "Print every trace line");

  auto mflags = std::make_shared<MeasureFlags>();
  auto* measure =
      sim->add_subcommand("measure", "Throughput, commit latency and the cost of a leader crash");
  measure->add_option("--validators", mflags->validators, "Validators")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  measure->add_option("--profile", mflags->profile, "lan or wan")
      ->capture_default_str()
      ->check(CLI::IsMember({"lan", "wan"}));
  measure->add_option("--duration-ms", mflags->duration_ms,
                      "Virtual time (default: 5 s LAN, 60 s WAN)");
  measure->add_flag("--crash-leader", mflags->crash_leader,
                    "Crash the leader a third of the way in");
  measure->add_option("--seed", mflags->seed, "PRNG seed")->capture_default_str();
  measure->callback([&rc, mflags] { rc = run_measure(*mflags); });

  sim->callback([&rc, flags, measure] {
    if (measure->parsed()) return;
    rc = run_sim(*flags);
  });
}

}  // namespace corridor::cli
