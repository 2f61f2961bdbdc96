// Key files: a JSON object holding an Ed25519 seed (hex) with its public key and account id
// for reading convenience. The seed is the secret; files are created readable by the owner only.
#pragma once

#include <string>

#include "base/keys.h"
#include "base/status.h"

namespace corridor::cli {

[[nodiscard]] Status write_key_file(const std::string& path, const KeyPair& key, bool overwrite);
[[nodiscard]] Result<KeyPair> read_key_file(const std::string& path);

}  // namespace corridor::cli
