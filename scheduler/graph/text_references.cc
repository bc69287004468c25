#include "scheduler/graph/text_references.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace flowgrid::graph {

std::vector<TextReference> FindTextReferences(absl::string_view text) {
  std::vector<TextReference> refs;
  size_t pos = 0;
  while ((pos = text.find("{{#", pos)) != absl::string_view::npos) {
    size_t close = text.find("#}}", pos + 3);
    if (close == absl::string_view::npos) break;
    absl::string_view inner = text.substr(pos + 3, close - pos - 3);
    std::vector<std::string> selector = absl::StrSplit(inner, '.');
    bool well_formed = selector.size() >= 2 &&
                       inner.find_first_of(" {}#\n") == absl::string_view::npos;
    for (const std::string& part : selector) well_formed &= !part.empty();
    if (!well_formed) {
      pos += 3;
      continue;
    }
    refs.push_back({pos, close + 3, std::move(selector)});
    pos = close + 3;
  }
  return refs;
}

std::string SubstituteTextReferences(
    absl::string_view text,
    const std::function<std::string(const std::vector<std::string>&)>& render) {
  std::string out;
  size_t copied = 0;
  for (const TextReference& ref : FindTextReferences(text)) {
    absl::StrAppend(&out, text.substr(copied, ref.begin - copied), render(ref.selector));
    copied = ref.end;
  }
  absl::StrAppend(&out, text.substr(copied));
  return out;
}

}  // namespace flowgrid::graph
