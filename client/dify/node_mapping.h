// One Dify node's `data` as a flowgrid Node: its kind's fields, retries and
// error strategy. The graph around it (nesting, edges, container start
// markers) is dify_import.cc's concern.
#ifndef FLOWGRID_CLIENT_DIFY_NODE_MAPPING_H_
#define FLOWGRID_CLIENT_DIFY_NODE_MAPPING_H_

#include <string>
#include <vector>

#include "flowgrid/v1/workflow.pb.h"
#include "yaml-cpp/yaml.h"

namespace flowgrid::dify {

// What an import found besides the workflow. Each entry is a whole
// sentence naming the node (or field) it is about.
struct ImportReport {
  // Each one prevents the import.
  std::vector<std::string> problems;
  // Imported, but worth knowing (e.g. a file input becomes an object).
  std::vector<std::string> warnings;
};

// A node of a Dify graph as the file has it.
struct DifyNode {
  std::string id;     // normalized to a string
  std::string title;  // data.title, else the id
  std::string type;   // data.type: "code", "if-else", "llm", ...
  YAML::Node data;

  // How messages name it: node "1718..." ("LLM", type llm).
  std::string Describe() const;
};

// Whether flowgrid runs Dify nodes of this data.type (iteration-start and
// loop-start are structure, not nodes, and are not among them).
bool IsRunnableType(const std::string& type);

// The flowgrid node for `node`, whose type IsRunnableType; every problem
// and warning goes to `report`. Container nodes come without their
// sub-graphs.
v1::Node MapNode(const DifyNode& node, ImportReport& report);

}  // namespace flowgrid::dify

#endif  // FLOWGRID_CLIENT_DIFY_NODE_MAPPING_H_
