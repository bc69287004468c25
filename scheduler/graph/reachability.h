// graph::Reachability — answers "is there a path from u to v?" in a DAG,
// for many queries, in bounded memory.
//
// Nodes are numbered in a topological order (every edge goes from a lower
// number to a higher one). Sources are grouped in blocks of 64 consecutive
// numbers; the first query about a source of a block computes, in one pass
// over the nodes from the block on, a 64-bit mask per node of the block's
// sources that reach it: O(nodes + edges) time and one word per node. The
// blocks are kept up to `budget_bytes` (the oldest dropped first), so the
// common case (queries naming few sources, or a graph of some thousands of
// nodes) costs a few passes, and no graph needs more than the budget.
#ifndef FLOWGRID_SCHEDULER_GRAPH_REACHABILITY_H_
#define FLOWGRID_SCHEDULER_GRAPH_REACHABILITY_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace flowgrid::graph {

class Reachability {
 public:
  // The nodes with an edge to v are predecessors[offsets[v] ..
  // offsets[v + 1]); each must be < v. `offsets` has one entry per node
  // plus a final one, predecessors.size().
  Reachability(std::vector<int> offsets, std::vector<int> predecessors,
               size_t budget_bytes = size_t{32} << 20);

  // Whether a path of one or more edges leads from `from` to `to`.
  bool Reaches(int from, int to);

 private:
  static constexpr int kBlock = 64;
  static constexpr int kNearby = 32;

  // Answers from a small backward search when `from` is close above `to`
  // (a selector naming a parent or a node a few steps back, the usual
  // case) or when few nodes lie between them; nullopt when the search
  // would grow beyond kNearby nodes.
  std::optional<bool> SearchNearby(int from, int to) const;

  // masks_[b][v - b * kBlock]: the sources of block b that reach v.
  const std::vector<uint64_t>& Block(int b);

  // Predecessors in compressed form: those of v are
  // preds_[offsets_[v] .. offsets_[v + 1]).
  std::vector<int> offsets_;
  std::vector<int> preds_;
  size_t budget_words_;
  std::vector<std::vector<uint64_t>> masks_;
  std::deque<int> cached_;  // blocks with masks, oldest first
  size_t cached_words_ = 0;
};

}  // namespace flowgrid::graph

#endif  // FLOWGRID_SCHEDULER_GRAPH_REACHABILITY_H_
