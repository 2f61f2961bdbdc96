#include "cli/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace corridor::cli {

Status write_key_file(const std::string& path, const KeyPair& key, bool overwrite) {
  nlohmann::json j = {{"type", "ed25519"},
                      {"seed", key.seed().hex()},
                      {"public_key", key.public_key().hex()},
                      {"account_id", key.account_id().hex()}};
  std::string text = j.dump(2) + "\n";
  int flags = O_WRONLY | O_CREAT | (overwrite ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0)
    return io_error("cannot create key file '" + path + "': " +
                    (errno == EEXIST ? std::string("it exists (use --force to replace it)")
                                     : std::string(strerror(errno))));
  ssize_t n = ::write(fd, text.data(), text.size());
  bool ok = n == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return io_error("cannot write key file '" + path + "'");
  return Status();
}

Result<KeyPair> read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found("cannot read key file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("seed") || !j["seed"].is_string())
    return invalid_argument("key file '" + path + "' is not a Corridor key file");
  auto seed = Seed::from_hex_text(j["seed"].get<std::string>());
  if (!seed.ok())
    return invalid_argument("key file '" + path + "': seed: " + seed.status().message());
  KeyPair kp = KeyPair::from_seed(*seed);
  if (j.contains("public_key") && j["public_key"] != kp.public_key().hex())
    return invalid_argument("key file '" + path + "': public_key does not match the seed");
  return kp;
}

}  // namespace corridor::cli
