// The code-node result contract (Dify's, made explicit): what main()
// returned becomes a node's outputs only through these checks.
//
//   - Only declared outputs are kept; each undeclared key adds the warning
//     `Output "x" is not declared and was dropped.` With
//     OutputLimits.strict_outputs (newer Dify), an undeclared key fails
//     instead: `Not all output parameters are validated.` (once every
//     declared output passed, as Dify checks it last).
//   - A declared output that is absent fails: `Output X is missing.`
//   - A value that could not be represented (an integer beyond int64)
//     fails, naming the output.
//   - Each value must conform to its declared type (flowgrid::CheckValueType;
//     null conforms to every type).
//   - Limits: strings up to max_string_length characters (code points);
//     containers nested at most max_depth levels, the output itself being
//     level 1; arrays of numbers up to max_number_array_length items, other
//     arrays up to max_array_length. Zero limit fields take Dify's defaults.
// Every failure is INVALID_RESULT. Pure functions: no I/O, no clocks.
#ifndef FLOWGRID_WORKER_JOB_RESULT_CONTRACT_H_
#define FLOWGRID_WORKER_JOB_RESULT_CONTRACT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "flowgrid/v1/worker.pb.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::job {

// What main() returned, field by field. A field whose value could not be
// represented carries that error instead (message without the field name).
using RawResult = std::map<std::string, absl::StatusOr<v1::Value>>;

using DeclaredOutputs = google::protobuf::Map<std::string, v1::Type>;

struct ContractOutcome {
  // Set when the result satisfies the contract.
  bool ok = false;
  google::protobuf::Map<std::string, v1::Value> outputs;
  // Set when !ok; code INVALID_RESULT.
  v1::NodeError error;
  // Reported in both cases.
  std::vector<std::string> warnings;
};

// Dify's defaults for zero fields: 400000, 5, 1000, 30.
v1::OutputLimits EffectiveOutputLimits(const v1::OutputLimits& limits);

// Applies the contract. The first failing declared output, in name order,
// decides the error.
ContractOutcome ApplyResultContract(const RawResult& result, const DeclaredOutputs& declared,
                                    const v1::OutputLimits& limits);

}  // namespace flowgrid::job

#endif  // FLOWGRID_WORKER_JOB_RESULT_CONTRACT_H_
