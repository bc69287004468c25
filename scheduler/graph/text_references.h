// Variable references inside text, Dify-style: "Hello {{#start.name#}}".
#ifndef FLOWGRID_SCHEDULER_GRAPH_TEXT_REFERENCES_H_
#define FLOWGRID_SCHEDULER_GRAPH_TEXT_REFERENCES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace flowgrid::graph {

struct TextReference {
  size_t begin;  // offset of "{{#"
  size_t end;    // offset just past "#}}"
  std::vector<std::string> selector;  // "node.var.path" split on '.'
};

// Every well-formed reference in `text`, in order. A reference needs at
// least a node and a variable ("{{#a.b#}}"); anything else is plain text.
std::vector<TextReference> FindTextReferences(absl::string_view text);

// `text` with each reference replaced by `render(selector)`.
std::string SubstituteTextReferences(
    absl::string_view text,
    const std::function<std::string(const std::vector<std::string>&)>& render);

}  // namespace flowgrid::graph

#endif  // FLOWGRID_SCHEDULER_GRAPH_TEXT_REFERENCES_H_
