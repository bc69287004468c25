#include "scheduler/graph/reachability.h"

#include <algorithm>
#include <array>
#include <utility>

namespace flowgrid::graph {

Reachability::Reachability(std::vector<int> offsets, std::vector<int> predecessors,
                           size_t budget_bytes)
    : offsets_(std::move(offsets)),
      preds_(std::move(predecessors)),
      budget_words_(budget_bytes / sizeof(uint64_t)) {
  int n = static_cast<int>(offsets_.size()) - 1;
  masks_.resize((n + kBlock - 1) / kBlock);
}

bool Reachability::Reaches(int from, int to) {
  // In a topological numbering a path only ever goes up.
  if (from >= to) return false;
  int b = from / kBlock;
  if (masks_[b].empty()) {
    if (std::optional<bool> near = SearchNearby(from, to)) return *near;
  }
  return (Block(b)[to - b * kBlock] >> (from % kBlock)) & 1;
}

std::optional<bool> Reachability::SearchNearby(int from, int to) const {
  // A backward search from `to` through nodes numbered above `from` (only
  // those can lie on a path from it), visiting at most kNearby of them.
  std::array<int, kNearby> seen;
  int count = 0;
  seen[count++] = to;
  for (int next = 0; next < count; ++next) {
    int v = seen[next];
    for (int i = offsets_[v]; i < offsets_[v + 1]; ++i) {
      int p = preds_[i];
      if (p == from) return true;
      if (p < from || std::find(seen.begin(), seen.begin() + count, p) != seen.begin() + count) {
        continue;
      }
      if (count == kNearby) return std::nullopt;
      seen[count++] = p;
    }
  }
  return false;
}

const std::vector<uint64_t>& Reachability::Block(int b) {
  if (!masks_[b].empty()) return masks_[b];
  int n = static_cast<int>(offsets_.size()) - 1;
  int first = b * kBlock;
  size_t words = static_cast<size_t>(n - first);
  // Keep at least this block, however small the budget.
  while (!cached_.empty() && cached_words_ + words > budget_words_) {
    cached_words_ -= masks_[cached_.front()].size();
    masks_[cached_.front()] = {};
    cached_.pop_front();
  }
  std::vector<uint64_t>& mask = masks_[b];
  mask.assign(words, 0);
  for (int v = first; v < n; ++v) {
    // A node reaches itself only through a path, so its own bit comes
    // from its predecessors; it passes its own bit on to its successors.
    uint64_t reached = 0;
    for (int i = offsets_[v]; i < offsets_[v + 1]; ++i) {
      int p = preds_[i];
      if (p < first) continue;  // nodes before the block are reached by none of it
      reached |= mask[p - first];
      if (p < first + kBlock) reached |= uint64_t{1} << (p - first);
    }
    mask[v - first] = reached;
  }
  cached_.push_back(b);
  cached_words_ += words;
  return mask;
}

}  // namespace flowgrid::graph
