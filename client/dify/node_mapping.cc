#include "client/dify/node_mapping.h"

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/dify/dify_types.h"
#include "client/dify/yaml_value.h"
#include "common/value_json.h"
#include "common/value_types.h"

namespace flowgrid::dify {
namespace {

constexpr const char* kRunnableTypes[] = {
    "start", "code", "if-else", "template-transform", "variable-aggregator",
    // Dify's name for the aggregator before it was renamed; old exports
    // still carry it and Dify runs it as the aggregator.
    "variable-assigner", "assigner", "iteration", "loop", "answer", "end"};

constexpr char kConversationRoot[] = "conversation";

// Operators whose right-hand side Dify ignores.
bool IsUnaryOperator(const std::string& op) {
  return op == "empty" || op == "not empty" || op == "null" || op == "not null" ||
         op == "exists" || op == "not exists";
}

// A Dify start variable type: how flowgrid types it and shows it.
struct StartVariableType {
  const char* name;
  v1::Type::Kind kind;
  v1::InputVariable::Form form;
};

constexpr StartVariableType kStartVariableTypes[] = {
    {"text-input", v1::Type::STRING, v1::InputVariable::TEXT_INPUT},
    {"paragraph", v1::Type::STRING, v1::InputVariable::PARAGRAPH},
    {"select", v1::Type::STRING, v1::InputVariable::SELECT},
    {"number", v1::Type::NUMBER, v1::InputVariable::NUMBER_INPUT},
    {"checkbox", v1::Type::BOOLEAN, v1::InputVariable::FORM_UNSPECIFIED},
    {"json_object", v1::Type::OBJECT, v1::InputVariable::JSON_INPUT},
    // Files arrive as their JSON description (Dify's File object).
    {"file", v1::Type::OBJECT, v1::InputVariable::FORM_UNSPECIFIED},
    {"file-list", v1::Type::ARRAY_OBJECT, v1::InputVariable::FORM_UNSPECIFIED},
};

// A whole "{{#node.var#}}" reference: its selector; nullopt for other text.
std::optional<std::vector<std::string>> WholeReference(const std::string& text) {
  if (!absl::StartsWith(text, "{{#") || !absl::EndsWith(text, "#}}") || text.size() < 7) {
    return std::nullopt;
  }
  std::string inner = text.substr(3, text.size() - 6);
  if (absl::StrContains(inner, "#") || absl::StrContains(inner, "{") ||
      absl::StrContains(inner, "}")) {
    return std::nullopt;
  }
  std::vector<std::string> selector = absl::StrSplit(inner, '.');
  if (selector.size() < 2) return std::nullopt;
  return selector;
}

// Maps one node; each method reads one part of `data`.
class NodeMapper {
 public:
  NodeMapper(const DifyNode& node, ImportReport& report) : node_(node), report_(report) {}

  v1::Node Map() {
    v1::Node out;
    out.set_id(node_.id);
    out.set_title(node_.title);
    const std::string& type = node_.type;
    const YAML::Node& data = node_.data;
    if (type == "start") MapStart(*out.mutable_start());
    if (type == "code") MapCode(*out.mutable_code());
    if (type == "if-else") MapIfElse(*out.mutable_if_else());
    if (type == "template-transform") {
      out.mutable_template_()->set_template_(TextField(data, "template"));
      ReadBindings("variables", *out.mutable_template_()->mutable_variables());
    }
    if (type == "variable-aggregator" || type == "variable-assigner") {
      MapAggregator(*out.mutable_variable_aggregator());
    }
    if (type == "assigner") MapAssigner(*out.mutable_assigner());
    if (type == "iteration") MapIteration(*out.mutable_iteration());
    if (type == "loop") MapLoop(*out.mutable_loop());
    if (type == "answer") {
      out.mutable_answer()->set_answer(TextField(data, "answer"));
      CheckTextReferences("answer", out.answer().answer());
    }
    if (type == "end") ReadBindings("outputs", *out.mutable_end()->mutable_outputs());
    MapRetry(out);
    MapErrorStrategy(out);
    return out;
  }

 private:
  void Problem(const std::string& field, absl::string_view message) {
    report_.problems.push_back(absl::StrCat(node_.Describe(), ": ", field, ": ", message));
  }
  void Warning(const std::string& field, absl::string_view message) {
    report_.warnings.push_back(absl::StrCat(node_.Describe(), ": ", field, ": ", message));
  }

  // `data[key]` as a list (missing or null: empty); a problem when it is
  // something else.
  std::vector<YAML::Node> List(const YAML::Node& map, const char* key, const std::string& field) {
    YAML::Node node = Field(map, key);
    std::vector<YAML::Node> items;
    if (!Present(node)) return items;
    if (!node.IsSequence()) {
      Problem(field, "is not a list");
      return items;
    }
    for (const YAML::Node& item : node) items.push_back(item);
    return items;
  }

  void CheckSelectorRoot(const std::string& field, const std::vector<std::string>& selector) {
    if (!selector.empty() && selector[0] == kConversationRoot) {
      Problem(field, absl::StrCat("reads conversation variable [", absl::StrJoin(selector, ", "),
                                  "]; flowgrid has no conversation variables"));
    }
  }

  std::optional<std::vector<std::string>> ReadSelector(const YAML::Node& node,
                                                       const std::string& field) {
    absl::StatusOr<std::vector<std::string>> selector = Selector(node);
    if (!selector.ok()) {
      Problem(field, selector.status().message());
      return std::nullopt;
    }
    CheckSelectorRoot(field, *selector);
    return *std::move(selector);
  }

  void CheckTextReferences(const std::string& field, const std::string& text) {
    if (absl::StrContains(text, absl::StrCat("{{#", kConversationRoot, "."))) {
      Problem(field, "refers to a conversation variable ({{#conversation...#}}); flowgrid has "
                     "no conversation variables");
    }
  }

  std::optional<v1::Type> ReadType(const std::string& name, const std::string& field) {
    absl::StatusOr<v1::Type> type = ParseType(name);
    if (!type.ok()) {
      Problem(field, type.status().message());
      return std::nullopt;
    }
    return *std::move(type);
  }

  // A constant for a variable of `type`; nullopt (after a problem) when it
  // does not fit.
  std::optional<v1::Value> ReadConstant(const YAML::Node& node, const v1::Type& type,
                                        const std::string& field) {
    absl::StatusOr<v1::Value> value = ToValue(node);
    if (value.ok()) value = ConstantOfType(*std::move(value), type);
    if (!value.ok()) {
      Problem(field, value.status().message());
      return std::nullopt;
    }
    return *std::move(value);
  }

  // [{variable, value_selector}] into bindings.
  void ReadBindings(const char* key,
                    google::protobuf::RepeatedPtrField<v1::VariableBinding>& bindings) {
    std::vector<YAML::Node> items = List(node_.data, key, key);
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string field = absl::StrCat(key, "[", i, "]");
      v1::VariableBinding& binding = *bindings.Add();
      binding.set_name(TextField(items[i], "variable"));
      std::optional<std::vector<std::string>> selector =
          ReadSelector(Field(items[i], "value_selector"), field + ".value_selector");
      if (selector.has_value()) *binding.mutable_selector() = {selector->begin(), selector->end()};
    }
  }

  void MapStart(v1::StartNode& start) {
    std::vector<YAML::Node> variables = List(node_.data, "variables", "variables");
    for (size_t i = 0; i < variables.size(); ++i) {
      const YAML::Node& variable = variables[i];
      const std::string name = TextField(variable, "variable");
      const std::string field = absl::StrCat("variables[", i, "] (", name, ")");
      v1::InputVariable& input = *start.add_variables();
      input.set_name(name);
      input.set_label(TextField(variable, "label"));
      input.set_required(Bool(Field(variable, "required")).value_or(false));
      input.set_max_length(static_cast<int32_t>(Integer(Field(variable, "max_length")).value_or(0)));
      for (const YAML::Node& option : List(variable, "options", field + ".options")) {
        input.add_options(Text(option).value_or(""));
      }
      const std::string type = TextField(variable, "type");
      const auto* known = std::find_if(std::begin(kStartVariableTypes), std::end(kStartVariableTypes),
                                       [&](const StartVariableType& t) { return type == t.name; });
      if (known == std::end(kStartVariableTypes)) {
        std::vector<std::string> names;
        for (const StartVariableType& t : kStartVariableTypes) names.push_back(t.name);
        Problem(field + ".type", absl::StrCat("input type \"", type,
                                              "\" is not one flowgrid knows (expected one of ",
                                              absl::StrJoin(names, ", "), ")"));
        continue;
      }
      *input.mutable_type() = MakeType(known->kind);
      input.set_form(known->form);
      if (type == "file" || type == "file-list") {
        Warning(field, "a file input; flowgrid takes it as a JSON object describing the file "
                       "(there is no file upload)");
      }
      // Dify writes default: '' for "no default".
      YAML::Node default_value = Field(variable, "default");
      if (Present(default_value) && Text(default_value) != std::optional<std::string>("")) {
        std::optional<v1::Value> value =
            ReadConstant(default_value, input.type(), field + ".default");
        if (value.has_value()) *input.mutable_default_value() = *std::move(value);
      }
    }
  }

  void MapCode(v1::CodeNode& code) {
    const std::string language = TextField(node_.data, "code_language");
    if (language == "python3" || language == "python") {
      code.set_language(v1::CodeNode::PYTHON3);
    } else if (language == "javascript") {
      code.set_language(v1::CodeNode::JAVASCRIPT);
    } else {
      Problem("code_language", absl::StrCat("\"", language,
                                            "\": flowgrid runs python3 and javascript code"));
    }
    code.set_code(TextField(node_.data, "code"));
    ReadBindings("variables", *code.mutable_inputs());
    YAML::Node outputs = Field(node_.data, "outputs");
    if (Present(outputs) && !outputs.IsMap()) Problem("outputs", "is not a map of name: {type}");
    if (Present(outputs) && outputs.IsMap()) {
      for (const auto& output : outputs) {
        const std::string name = output.first.Scalar();
        absl::StatusOr<v1::Type> type = ParseOutputType(output.second);
        if (!type.ok()) {
          Problem(absl::StrCat("outputs.", name), type.status().message());
          continue;
        }
        (*code.mutable_outputs())[name] = *std::move(type);
      }
    }
    YAML::Node dependencies = Field(node_.data, "dependencies");
    if (Present(dependencies) && dependencies.IsSequence() && dependencies.size() > 0) {
      Warning("dependencies", "package dependencies are not installed; flowgrid's sandbox has "
                              "the language's standard library only");
    }
  }

  std::optional<v1::Condition> ReadCondition(const YAML::Node& yaml, const std::string& field) {
    v1::Condition condition;
    std::optional<std::vector<std::string>> selector =
        ReadSelector(Field(yaml, "variable_selector"), field + ".variable_selector");
    if (!selector.has_value()) return std::nullopt;
    *condition.mutable_selector() = {selector->begin(), selector->end()};
    const std::string op = TextField(yaml, "comparison_operator");
    condition.set_comparison_operator(op);
    YAML::Node sub = Field(Field(yaml, "sub_variable_condition"), "conditions");
    if (Present(sub) && sub.IsSequence() && sub.size() > 0) {
      Problem(field + ".sub_variable_condition",
              "conditions on a file's attributes are not supported by flowgrid");
      return std::nullopt;
    }
    YAML::Node value = Field(yaml, "value");
    if (IsUnaryOperator(op) || !Present(value)) return condition;
    // Dify reads "{{#node.var#}}" in a value as that variable.
    if (std::optional<std::string> text = Text(value); text.has_value()) {
      if (std::optional<std::vector<std::string>> ref = WholeReference(*text); ref.has_value()) {
        CheckSelectorRoot(field + ".value", *ref);
        *condition.mutable_value_selector() = {ref->begin(), ref->end()};
        return condition;
      }
      if (absl::StrContains(*text, "{{#")) {
        Problem(field + ".value",
                absl::StrCat("\"", *text, "\" mixes text and variable references; flowgrid "
                                          "compares with a constant or with one variable"));
        return std::nullopt;
      }
    }
    absl::StatusOr<v1::Value> constant = ToValue(value);
    if (!constant.ok()) {
      Problem(field + ".value", constant.status().message());
      return std::nullopt;
    }
    *condition.mutable_value() = *std::move(constant);
    return condition;
  }

  void ReadConditions(const YAML::Node& map, const std::string& field,
                      google::protobuf::RepeatedPtrField<v1::Condition>& conditions) {
    std::vector<YAML::Node> items = List(map, "conditions", field);
    for (size_t k = 0; k < items.size(); ++k) {
      std::optional<v1::Condition> condition =
          ReadCondition(items[k], absl::StrCat(field, "[", k, "]"));
      if (condition.has_value()) *conditions.Add() = *std::move(condition);
    }
  }

  void MapIfElse(v1::IfElseNode& if_else) {
    YAML::Node cases = Field(node_.data, "cases");
    if (!Present(cases)) {
      // The form before cases: one condition list, taken as case "true".
      v1::IfElseNode::Case& only = *if_else.add_cases();
      only.set_case_id("true");
      only.set_logical_operator(TextField(node_.data, "logical_operator", "and"));
      ReadConditions(node_.data, "conditions", *only.mutable_conditions());
      return;
    }
    std::vector<YAML::Node> items = List(node_.data, "cases", "cases");
    for (size_t c = 0; c < items.size(); ++c) {
      v1::IfElseNode::Case& branch = *if_else.add_cases();
      branch.set_case_id(TextField(items[c], "case_id", TextField(items[c], "id")));
      branch.set_logical_operator(TextField(items[c], "logical_operator", "and"));
      ReadConditions(items[c], absl::StrCat("cases[", c, "].conditions"),
                     *branch.mutable_conditions());
    }
  }

  void ReadSelectors(const YAML::Node& map, const std::string& field,
                     google::protobuf::RepeatedPtrField<v1::Selector>& selectors) {
    std::vector<YAML::Node> items = List(map, "variables", field);
    for (size_t i = 0; i < items.size(); ++i) {
      std::optional<std::vector<std::string>> selector =
          ReadSelector(items[i], absl::StrCat(field, "[", i, "]"));
      if (selector.has_value()) {
        *selectors.Add()->mutable_selector() = {selector->begin(), selector->end()};
      }
    }
  }

  void MapAggregator(v1::VariableAggregatorNode& aggregator) {
    if (std::optional<std::string> type = Text(Field(node_.data, "output_type")); type) {
      if (std::optional<v1::Type> parsed = ReadType(*type, "output_type"); parsed) {
        *aggregator.mutable_output_type() = *std::move(parsed);
      }
    }
    ReadSelectors(node_.data, "variables", *aggregator.mutable_variables());
    YAML::Node settings = Field(node_.data, "advanced_settings");
    if (!Bool(Field(settings, "group_enabled")).value_or(false)) return;
    std::vector<YAML::Node> groups = List(settings, "groups", "advanced_settings.groups");
    for (size_t g = 0; g < groups.size(); ++g) {
      const std::string field = absl::StrCat("advanced_settings.groups[", g, "]");
      v1::VariableAggregatorNode::Group& group = *aggregator.add_groups();
      group.set_group_name(TextField(groups[g], "group_name"));
      if (std::optional<std::string> type = Text(Field(groups[g], "output_type")); type) {
        if (std::optional<v1::Type> parsed = ReadType(*type, field + ".output_type"); parsed) {
          *group.mutable_output_type() = *std::move(parsed);
        }
      }
      ReadSelectors(groups[g], field + ".variables", *group.mutable_variables());
    }
  }

  void MapAssigner(v1::VariableAssignerNode& assigner) {
    YAML::Node legacy_target = Field(node_.data, "assigned_variable_selector");
    if (Present(legacy_target)) {
      // Version 1: one variable, its write mode, and an input variable.
      v1::VariableAssignerNode::Item& item = *assigner.add_items();
      if (auto target = ReadSelector(legacy_target, "assigned_variable_selector"); target) {
        *item.mutable_variable_selector() = {target->begin(), target->end()};
      }
      item.set_operation(TextField(node_.data, "write_mode", "over-write"));
      YAML::Node input = Field(node_.data, "input_variable_selector");
      if (Present(input) && input.size() > 0) {
        if (auto source = ReadSelector(input, "input_variable_selector"); source) {
          *item.mutable_value_selector() = {source->begin(), source->end()};
        }
      }
      return;
    }
    std::vector<YAML::Node> items = List(node_.data, "items", "items");
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string field = absl::StrCat("items[", i, "]");
      v1::VariableAssignerNode::Item& item = *assigner.add_items();
      if (auto target = ReadSelector(Field(items[i], "variable_selector"),
                                     field + ".variable_selector");
          target) {
        *item.mutable_variable_selector() = {target->begin(), target->end()};
      }
      item.set_operation(TextField(items[i], "operation"));
      YAML::Node value = Field(items[i], "value");
      if (!Present(value)) continue;
      if (TextField(items[i], "input_type") == "variable") {
        if (auto source = ReadSelector(value, field + ".value"); source) {
          *item.mutable_value_selector() = {source->begin(), source->end()};
        }
        continue;
      }
      absl::StatusOr<v1::Value> constant = ToValue(value);
      if (!constant.ok()) {
        Problem(field + ".value", constant.status().message());
        continue;
      }
      *item.mutable_value() = *std::move(constant);
    }
  }

  void MapIteration(v1::IterationNode& iteration) {
    const YAML::Node& data = node_.data;
    if (auto selector = ReadSelector(Field(data, "iterator_selector"), "iterator_selector")) {
      *iteration.mutable_iterator_selector() = {selector->begin(), selector->end()};
    }
    if (auto selector = ReadSelector(Field(data, "output_selector"), "output_selector")) {
      *iteration.mutable_output_selector() = {selector->begin(), selector->end()};
    }
    if (std::optional<std::string> type = Text(Field(data, "output_type")); type) {
      if (std::optional<v1::Type> parsed = ReadType(*type, "output_type"); parsed) {
        *iteration.mutable_output_type() = *std::move(parsed);
      }
    }
    iteration.set_parallel(Bool(Field(data, "is_parallel")).value_or(false));
    iteration.set_parallel_nums(
        static_cast<int32_t>(Integer(Field(data, "parallel_nums")).value_or(0)));
    // Dify flattens list outputs unless told not to.
    iteration.set_flatten_output(Bool(Field(data, "flatten_output")).value_or(true));
    const std::string mode = TextField(data, "error_handle_mode", "terminated");
    if (mode == "continue-on-error") {
      iteration.set_error_handle_mode(v1::IterationNode::CONTINUE_ON_ERROR);
    } else if (mode == "remove-abnormal-output") {
      iteration.set_error_handle_mode(v1::IterationNode::REMOVE_ABNORMAL_OUTPUT);
    } else if (mode != "terminated") {
      Problem("error_handle_mode",
              absl::StrCat("\"", mode, "\" is not one of terminated, continue-on-error, "
                                       "remove-abnormal-output"));
    }
  }

  void MapLoop(v1::LoopNode& loop) {
    const YAML::Node& data = node_.data;
    loop.set_loop_count(static_cast<int32_t>(Integer(Field(data, "loop_count")).value_or(0)));
    loop.set_logical_operator(TextField(data, "logical_operator", "and"));
    std::vector<YAML::Node> conditions = List(data, "break_conditions", "break_conditions");
    for (size_t k = 0; k < conditions.size(); ++k) {
      std::optional<v1::Condition> condition =
          ReadCondition(conditions[k], absl::StrCat("break_conditions[", k, "]"));
      if (condition.has_value()) *loop.add_break_conditions() = *std::move(condition);
    }
    std::vector<YAML::Node> variables = List(data, "loop_variables", "loop_variables");
    for (size_t i = 0; i < variables.size(); ++i) {
      const YAML::Node& yaml = variables[i];
      const std::string field = absl::StrCat("loop_variables[", i, "]");
      v1::LoopNode::Variable& variable = *loop.add_loop_variables();
      variable.set_name(TextField(yaml, "label"));
      std::optional<v1::Type> type = ReadType(TextField(yaml, "var_type"), field + ".var_type");
      if (!type.has_value()) continue;
      *variable.mutable_type() = *type;
      YAML::Node value = Field(yaml, "value");
      if (!Present(value)) continue;
      if (TextField(yaml, "value_type", "constant") == "variable") {
        if (auto selector = ReadSelector(value, field + ".value"); selector) {
          *variable.mutable_value_selector() = {selector->begin(), selector->end()};
        }
        continue;
      }
      // An empty constant is Dify's "no initial value" (an array starts empty).
      const v1::Type::Kind kind = type->kind();
      if (Text(value) == std::optional<std::string>("") && kind != v1::Type::STRING &&
          kind != v1::Type::ANY) {
        if (kind != v1::Type::NUMBER && kind != v1::Type::BOOLEAN && kind != v1::Type::OBJECT) {
          variable.mutable_value()->mutable_list_value();
        }
        continue;
      }
      std::optional<v1::Value> constant = ReadConstant(value, *type, field + ".value");
      if (constant.has_value()) *variable.mutable_value() = *std::move(constant);
    }
  }

  void MapRetry(v1::Node& out) {
    YAML::Node retry = Field(node_.data, "retry_config");
    if (!Bool(Field(retry, "retry_enabled")).value_or(false)) return;
    out.mutable_retry()->set_max_retries(
        static_cast<int32_t>(Integer(Field(retry, "max_retries")).value_or(0)));
    out.mutable_retry()->set_interval_ms(
        static_cast<int32_t>(Integer(Field(retry, "retry_interval")).value_or(0)));
  }

  void MapErrorStrategy(v1::Node& out) {
    const std::string strategy = TextField(node_.data, "error_strategy", "none");
    if (strategy == "none" || strategy.empty()) return;
    if (strategy == "fail-branch") {
      out.mutable_error_strategy()->set_kind(v1::ErrorStrategy::FAIL_BRANCH);
      return;
    }
    if (strategy != "default-value") {
      Problem("error_strategy", absl::StrCat("\"", strategy,
                                             "\" is not one of fail-branch, default-value"));
      return;
    }
    out.mutable_error_strategy()->set_kind(v1::ErrorStrategy::DEFAULT_VALUE);
    std::vector<YAML::Node> defaults = List(node_.data, "default_value", "default_value");
    for (size_t i = 0; i < defaults.size(); ++i) {
      const std::string key = TextField(defaults[i], "key");
      const std::string field = absl::StrCat("default_value[", i, "] (", key, ")");
      std::optional<v1::Type> type = ReadType(TextField(defaults[i], "type"), field + ".type");
      if (!type.has_value()) continue;
      std::optional<v1::Value> value =
          ReadConstant(Field(defaults[i], "value"), *type, field + ".value");
      if (value.has_value()) (*out.mutable_error_strategy()->mutable_defaults())[key] = *value;
    }
  }

  const DifyNode& node_;
  ImportReport& report_;
};

}  // namespace

std::string DifyNode::Describe() const {
  return absl::StrCat("node \"", id, "\" (\"", title, "\", type ", type.empty() ? "none" : type,
                      ")");
}

bool IsRunnableType(const std::string& type) {
  return std::find(std::begin(kRunnableTypes), std::end(kRunnableTypes), type) !=
         std::end(kRunnableTypes);
}

v1::Node MapNode(const DifyNode& node, ImportReport& report) {
  return NodeMapper(node, report).Map();
}

}  // namespace flowgrid::dify
