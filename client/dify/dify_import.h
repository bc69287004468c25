// Importing Dify's app DSL (the YAML "Export DSL" writes) as a flowgrid
// Workflow.
//
// Accepted documents: an app export (kind: app, version 0.1.x and later,
// app.mode workflow or advanced-chat, workflow.graph.{nodes,edges}); a bare
// workflow object (graph.{nodes,edges} at the top); a bare graph (nodes and
// edges at the top). Canvas fields (position, width, selected, ...) and
// canvas notes are ignored; node ids written as numbers become strings.
//
// Nodes flowgrid does not run (llm, http-request, tool, knowledge-retrieval,
// unknown types, ...) are never dropped: every one is reported, with every
// other problem of the file, in a single error.
#ifndef FLOWGRID_CLIENT_DIFY_DIFY_IMPORT_H_
#define FLOWGRID_CLIENT_DIFY_DIFY_IMPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::dify {

struct ImportedWorkflow {
  // Not yet validated: the scheduler's Validate/Submit checks it as any
  // workflow.
  v1::Workflow workflow;
  // Sentences about what was imported with a change of meaning worth
  // knowing (a file input taken as an object, a secret without its value).
  std::vector<std::string> warnings;
};

// `fallback_name` names the workflow when the file has no app.name.
// InvalidArgument: not YAML ("line L, column C: ..."), not a Dify graph, or
// "N problem(s) importing the Dify app "NAME":" followed by one problem per
// line ("  node "1718..." ("LLM", type llm): flowgrid does not run llm nodes").
absl::StatusOr<ImportedWorkflow> ImportDifyYaml(absl::string_view yaml,
                                                const std::string& fallback_name);

}  // namespace flowgrid::dify

#endif  // FLOWGRID_CLIENT_DIFY_DIFY_IMPORT_H_
