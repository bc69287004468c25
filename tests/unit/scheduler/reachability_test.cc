#include "scheduler/graph/reachability.h"

#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace flowgrid::graph {
namespace {

// A random DAG in topological numbering: each node gets up to 3
// predecessors among the nodes before it.
std::vector<std::vector<int>> RandomDag(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int>> predecessors(n);
  for (int v = 1; v < n; ++v) {
    int count = std::uniform_int_distribution<int>(0, 3)(rng);
    for (int k = 0; k < count; ++k) {
      predecessors[v].push_back(std::uniform_int_distribution<int>(0, v - 1)(rng));
    }
  }
  return predecessors;
}

// The same DAG in Reachability's compressed form.
Reachability Compressed(const std::vector<std::vector<int>>& predecessors,
                        size_t budget_bytes = size_t{32} << 20) {
  std::vector<int> offsets{0};
  std::vector<int> flat;
  for (const std::vector<int>& list : predecessors) {
    flat.insert(flat.end(), list.begin(), list.end());
    offsets.push_back(static_cast<int>(flat.size()));
  }
  return Reachability(std::move(offsets), std::move(flat), budget_bytes);
}

// Reference answer: a backward search from `to`.
bool Searches(const std::vector<std::vector<int>>& predecessors, int from, int to) {
  std::vector<bool> seen(predecessors.size(), false);
  std::vector<int> todo{to};
  while (!todo.empty()) {
    int v = todo.back();
    todo.pop_back();
    for (int p : predecessors[v]) {
      if (p == from) return true;
      if (!seen[p]) {
        seen[p] = true;
        todo.push_back(p);
      }
    }
  }
  return false;
}

TEST(Reachability, ChainReachesForwardOnly) {
  std::vector<std::vector<int>> chain(200);
  for (int v = 1; v < 200; ++v) chain[v] = {v - 1};
  Reachability reach = Compressed(chain);
  EXPECT_TRUE(reach.Reaches(0, 199));
  EXPECT_TRUE(reach.Reaches(63, 64));
  EXPECT_TRUE(reach.Reaches(70, 71));
  EXPECT_FALSE(reach.Reaches(5, 5));
  EXPECT_FALSE(reach.Reaches(71, 70));
}

TEST(Reachability, IndependentBranchesDoNotReachEachOther) {
  // 0 -> 1 -> 3, 0 -> 2 -> 3
  Reachability reach = Compressed({{}, {0}, {0}, {1, 2}});
  EXPECT_TRUE(reach.Reaches(0, 3));
  EXPECT_TRUE(reach.Reaches(1, 3));
  EXPECT_FALSE(reach.Reaches(1, 2));
  EXPECT_FALSE(reach.Reaches(2, 1));
  EXPECT_FALSE(reach.Reaches(3, 0));
}

TEST(Reachability, MatchesASearchOnRandomDags) {
  for (uint64_t seed : {1, 2, 3}) {
    std::vector<std::vector<int>> dag = RandomDag(300, seed);
    Reachability reach = Compressed(dag);
    for (int from = 0; from < 300; from += 7) {
      for (int to = 0; to < 300; to += 3) {
        ASSERT_EQ(reach.Reaches(from, to), Searches(dag, from, to))
            << "seed " << seed << ": " << from << " -> " << to;
      }
    }
  }
}

TEST(Reachability, AnswersStayRightWhenTheBudgetDropsBlocks) {
  std::vector<std::vector<int>> dag = RandomDag(500, 7);
  Reachability reach = Compressed(dag, /*budget_bytes=*/1024);  // about one block at a time
  std::mt19937_64 rng(11);
  for (int q = 0; q < 3000; ++q) {
    int from = std::uniform_int_distribution<int>(0, 499)(rng);
    int to = std::uniform_int_distribution<int>(0, 499)(rng);
    ASSERT_EQ(reach.Reaches(from, to), Searches(dag, from, to)) << from << " -> " << to;
  }
}

}  // namespace
}  // namespace flowgrid::graph
