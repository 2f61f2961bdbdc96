// The apply benchmark at a tiny size: it must run end to end in both storage modes, apply every
// transfer, verify the state root against a reload of its store and end with the figure line
// that scripts parse.
#include "cli/bench_apply.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace corridor::cli {
namespace {

BenchApplyOptions tiny(bool durable) {
  BenchApplyOptions o;
  o.durable = durable;
  o.accounts = 50;
  o.blocks = 2;
  o.txs_per_block = 2;
  o.ops_per_tx = 100;
  return o;
}

// The last non-empty line of the output.
std::string last_line(const std::string& text) {
  std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  return trimmed.substr(trimmed.find_last_of('\n') + 1);
}

void expect_successful_run(const std::string& output) {
  EXPECT_NE(output.find("\nstate_root_verified: yes\n"), std::string::npos) << output;
  EXPECT_NE(output.find("\ntransfers: 400\n"), std::string::npos) << output;
  const std::string last = last_line(output);
  ASSERT_EQ(last.rfind("transfers_per_s: ", 0), 0u) << output;
  EXPECT_GT(std::stoull(last.substr(std::string("transfers_per_s: ").size())), 0u) << output;
}

TEST(BenchApplyTest, InMemoryRunAppliesEveryTransferAndVerifiesTheRoot) {
  std::ostringstream out;
  EXPECT_EQ(run_bench_apply(tiny(false), out), 0) << out.str();
  expect_successful_run(out.str());
}

TEST(BenchApplyTest, DurableRunInATemporaryDirectoryVerifiesTheRootAfterReopening) {
  std::ostringstream out;
  EXPECT_EQ(run_bench_apply(tiny(true), out), 0) << out.str();
  expect_successful_run(out.str());
  EXPECT_NE(out.str().find("synced per block"), std::string::npos) << out.str();
}

TEST(BenchApplyTest, DurableRunKeepsAGivenDataDirectoryAndRefusesToReuseIt) {
  std::string pattern = "/tmp/corridor_bench_apply_test_XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = std::filesystem::path(pattern) / "node";
  BenchApplyOptions o = tiny(true);
  o.data_dir = dir.string();

  std::ostringstream first;
  EXPECT_EQ(run_bench_apply(o, first), 0) << first.str();
  expect_successful_run(first.str());
  EXPECT_TRUE(std::filesystem::exists(dir / "db"));

  // A second run would find the first run's accounts: it is refused before touching the data.
  std::ostringstream second;
  EXPECT_EQ(run_bench_apply(o, second), 2) << second.str();
  EXPECT_NE(second.str().find("must be absent or an empty directory"), std::string::npos)
      << second.str();

  std::filesystem::remove_all(pattern);
}

TEST(BenchApplyTest, JsonOutputIsOneObjectFollowedByTheFigureLine) {
  BenchApplyOptions o = tiny(false);
  o.json = true;
  std::ostringstream out;
  ASSERT_EQ(run_bench_apply(o, out), 0) << out.str();
  const std::string text = out.str();
  const std::string last = last_line(text);
  ASSERT_EQ(last.rfind("transfers_per_s: ", 0), 0u) << text;
  auto j = nlohmann::json::parse(text.substr(0, text.rfind(last)), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text;
  EXPECT_EQ(j["transfers"], 400);
  EXPECT_EQ(j["state_root_verified"], true);
  EXPECT_EQ(j["storage"], "memory");
  EXPECT_EQ(std::to_string(j["transfers_per_s"].get<uint64_t>()),
            last.substr(std::string("transfers_per_s: ").size()));
}

TEST(BenchApplyTest, SameSeedGivesTheSameStateRoot) {
  auto root_of = [](uint64_t seed) {
    BenchApplyOptions o = tiny(false);
    o.seed = seed;
    o.json = true;
    std::ostringstream out;
    EXPECT_EQ(run_bench_apply(o, out), 0) << out.str();
    const std::string text = out.str();
    auto j = nlohmann::json::parse(text.substr(0, text.rfind("transfers_per_s: ")));
    return j["state_root"].get<std::string>();
  };
  EXPECT_EQ(root_of(7), root_of(7));
  EXPECT_NE(root_of(7), root_of(8));
}

TEST(BenchApplyTest, InvalidOptionsAreUsageErrors) {
  auto exit_code = [](BenchApplyOptions o) {
    std::ostringstream out;
    return run_bench_apply(o, out);
  };
  BenchApplyOptions o = tiny(false);
  o.accounts = 1;
  EXPECT_EQ(exit_code(o), 2);
  o = tiny(false);
  o.ops_per_tx = 10'001;
  EXPECT_EQ(exit_code(o), 2);
  o = tiny(false);
  o.blocks = 0;
  EXPECT_EQ(exit_code(o), 2);
  o = tiny(false);
  o.txs_per_block = 0;
  EXPECT_EQ(exit_code(o), 2);
}

}  // namespace
}  // namespace corridor::cli
