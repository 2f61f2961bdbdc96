// The Byzantine quorum arithmetic shared by the ledger (which checks governance approvals) and
// the consensus core (which counts votes): with n validators at most f = floor((n - 1) / 3) may
// be faulty, and any two sets of n - f validators share at least one honest validator.
#pragma once

#include <cstddef>

namespace corridor {

constexpr size_t bft_faults_max(size_t validators) {
  return validators == 0 ? 0 : (validators - 1) / 3;
}
constexpr size_t bft_quorum(size_t validators) {
  return validators - bft_faults_max(validators);
}

static_assert(bft_quorum(4) == 3 && bft_quorum(7) == 5 && bft_quorum(1) == 1);

}  // namespace corridor
