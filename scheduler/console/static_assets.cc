#include "scheduler/console/static_assets.h"

#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "scheduler/console/json_mapping.h"

namespace flowgrid::console {
namespace {

// The contents of `file` when it is a regular file inside `root` (both
// canonical after resolving links); nullopt otherwise.
std::optional<std::string> ReadInside(const std::filesystem::path& root,
                                      const std::filesystem::path& file) {
  std::error_code ec;
  const std::filesystem::path real_root = std::filesystem::canonical(root, ec);
  if (ec) return std::nullopt;
  const std::filesystem::path real_file = std::filesystem::canonical(file, ec);
  if (ec || !std::filesystem::is_regular_file(real_file, ec)) return std::nullopt;
  const std::filesystem::path inside = real_file.lexically_relative(real_root);
  if (inside.empty() || *inside.begin() == "..") return std::nullopt;
  std::ifstream in(real_file, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::string ContentTypeFor(absl::string_view file_name) {
  const size_t dot = file_name.rfind('.');
  const std::string extension =
      dot == absl::string_view::npos ? "" : absl::AsciiStrToLower(file_name.substr(dot + 1));
  static const auto* const kTypes = new std::vector<std::pair<std::string, std::string>>{
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"txt", "text/plain; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"wasm", "application/wasm"},
  };
  for (const auto& [known, type] : *kTypes) {
    if (extension == known) return type;
  }
  return "application/octet-stream";
}

absl::StatusOr<std::filesystem::path> RelativeAssetPath(absl::string_view url_path) {
  if (url_path.find('\0') != absl::string_view::npos ||
      url_path.find('\\') != absl::string_view::npos) {
    return absl::InvalidArgumentError("a NUL or a backslash in an asset path");
  }
  std::filesystem::path relative;
  for (absl::string_view segment : absl::StrSplit(url_path, '/', absl::SkipEmpty())) {
    if (segment == ".") continue;
    if (absl::StartsWith(segment, ".")) {
      return absl::InvalidArgumentError(
          absl::StrCat("asset path segment \"", segment, "\" starts with a dot"));
    }
    relative /= std::string(segment);
  }
  return relative;
}

HttpResponse StaticAssets::Serve(absl::string_view url_path) const {
  absl::StatusOr<std::filesystem::path> relative = RelativeAssetPath(url_path);
  if (!relative.ok()) {
    return ErrorResponse(absl::NotFoundError(absl::StrCat("no asset at ", url_path)));
  }
  HttpResponse response;
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!relative->empty()) {
    if (std::optional<std::string> body = ReadInside(root_, root_ / *relative)) {
      response.content_type = ContentTypeFor(relative->filename().string());
      response.body = *std::move(body);
      return response;
    }
  }
  std::optional<std::string> index = ReadInside(root_, root_ / "index.html");
  if (!index.has_value()) {
    return ErrorResponse(absl::NotFoundError(absl::StrCat(
        "the console's page is not installed: no index.html in ", root_.string(),
        " (--console_assets_dir)")));
  }
  response.content_type = ContentTypeFor("index.html");
  response.body = *std::move(index);
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

}  // namespace flowgrid::console
