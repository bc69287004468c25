#include "common/json_value_reader.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace flowgrid {
namespace {

// An nlohmann SAX handler building a v1::Value.
class ValueBuilder {
 public:
  explicit ValueBuilder(int max_nesting) : max_nesting_(max_nesting) {}

  bool null() {
    Slot()->set_null_value(v1::NULL_VALUE);
    return true;
  }
  bool boolean(bool value) {
    Slot()->set_bool_value(value);
    return true;
  }
  bool number_integer(int64_t value) {
    Slot()->set_int_value(value);
    return true;
  }
  bool number_unsigned(uint64_t value) {
    v1::Value* slot = Slot();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      RecordOutOfRange(slot, absl::StrCat(value));
    } else {
      slot->set_int_value(static_cast<int64_t>(value));
    }
    return true;
  }
  bool number_float(double value, const std::string& literal) {
    v1::Value* slot = Slot();
    // The lexer hands integers beyond uint64/int64 over as floats.
    if (literal.find_first_of(".eE") == std::string::npos) {
      RecordOutOfRange(slot, literal);
    } else {
      slot->set_double_value(value);
    }
    return true;
  }
  bool string(std::string& value) {
    Slot()->set_string_value(std::move(value));
    return true;
  }
  bool binary(nlohmann::json::binary_t&) {
    error_ = "binary values are not JSON";
    return false;
  }
  bool start_object(std::size_t) { return Open(/*is_list=*/false); }
  bool key(std::string& key) {
    frames_.back().pending_key = std::move(key);
    return true;
  }
  bool end_object() {
    frames_.pop_back();
    return true;
  }
  bool start_array(std::size_t) { return Open(/*is_list=*/true); }
  bool end_array() {
    frames_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }

  const std::string& error() const { return error_; }
  ReadJson Take() { return std::move(out_); }

 private:
  struct Frame {
    v1::Value* container;
    std::string pending_key;  // objects: the key of the next value
    int next_index = 0;       // lists: the index of the next value
    std::string label;        // the path step of the value being placed
  };

  // Where the next value goes: the root, the next list item or the field
  // named by the last key.
  v1::Value* Slot() {
    if (frames_.empty()) return &out_.value;
    Frame& top = frames_.back();
    if (top.container->has_list_value()) {
      top.label = absl::StrCat(top.next_index++);
      return top.container->mutable_list_value()->add_items();
    }
    top.label = top.pending_key;
    return &(*top.container->mutable_object_value()->mutable_fields())[top.pending_key];
  }

  bool Open(bool is_list) {
    if (static_cast<int>(frames_.size()) >= max_nesting_) {
      error_ = absl::StrCat("nested deeper than ", max_nesting_, " levels");
      return false;
    }
    v1::Value* slot = Slot();
    if (is_list) {
      slot->mutable_list_value();
    } else {
      slot->mutable_object_value();
    }
    frames_.push_back(Frame{slot, "", 0, ""});
    return true;
  }

  void RecordOutOfRange(v1::Value* slot, std::string literal) {
    slot->set_null_value(v1::NULL_VALUE);
    OutOfRangeInteger record;
    for (const Frame& frame : frames_) record.path.push_back(frame.label);
    record.literal = std::move(literal);
    out_.out_of_range_integers.push_back(std::move(record));
  }

  const int max_nesting_;
  std::vector<Frame> frames_;
  ReadJson out_;
  std::string error_;
};

}  // namespace

absl::StatusOr<ReadJson> ReadJsonValue(absl::string_view text, int max_nesting) {
  ValueBuilder builder(max_nesting);
  if (!nlohmann::json::sax_parse(text, &builder)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", builder.error()));
  }
  return builder.Take();
}

}  // namespace flowgrid
