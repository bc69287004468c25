// The Value JSON codec (common/value_json, common/json_value_reader):
// decoding and encoding a small value (a typical code-node result) and a
// large one (a list of 1,000 records, about 125 KB of JSON).
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/json_value_reader.h"
#include "common/value_json.h"

namespace flowgrid::bench {
namespace {

constexpr char kSmall[] =
    R"({"result": "hello world", "count": 42, "ratio": 0.25, "ok": true, )"
    R"("tags": ["a", "b", "c"], "nested": {"id": 9223372036854775807, "none": null}})";

std::string Large() {
  std::string json = "[";
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&json, i ? ", " : "", "{\"id\": ", i, ", \"name\": \"record number ", i,
                    "\", \"score\": ", i * 0.5, ", \"active\": ", i % 2 ? "true" : "false",
                    ", \"tags\": [\"x\", \"y\"], \"meta\": {\"depth\": {\"n\": ", i, "}}}");
  }
  return json + "]";
}

const std::string& Document(int64_t which) {
  static const std::string small = kSmall;
  static const std::string large = Large();
  return which == 0 ? small : large;
}

void Label(benchmark::State& state) { state.SetLabel(state.range(0) == 0 ? "small" : "large"); }

void BM_ParseValueJson(benchmark::State& state) {
  const std::string& text = Document(state.range(0));
  for (auto _ : state) {
    absl::StatusOr<v1::Value> value = ParseValueJson(text);
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  Label(state);
}
BENCHMARK(BM_ParseValueJson)->Arg(0)->Arg(1);

// The reader alone, as the worker uses it on a code node's reply.
void BM_ReadJsonValue(benchmark::State& state) {
  const std::string& text = Document(state.range(0));
  for (auto _ : state) {
    absl::StatusOr<ReadJson> read = ReadJsonValue(text, kMaxJsonNesting);
    benchmark::DoNotOptimize(read);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  Label(state);
}
BENCHMARK(BM_ReadJsonValue)->Arg(0)->Arg(1);

void BM_ValueToJson(benchmark::State& state) {
  const std::string& text = Document(state.range(0));
  const v1::Value value = *ParseValueJson(text);
  int64_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<std::string> json = ValueToJson(value);
    bytes += static_cast<int64_t>(json->size());
    benchmark::DoNotOptimize(json);
  }
  state.SetBytesProcessed(bytes);
  Label(state);
}
BENCHMARK(BM_ValueToJson)->Arg(0)->Arg(1);

}  // namespace
}  // namespace flowgrid::bench

BENCHMARK_MAIN();
