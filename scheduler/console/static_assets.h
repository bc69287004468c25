// The console's front-end files (index.html and its assets, built from
// console/ into <build>/console/dist and installed as
// share/flowgrid/console) served from one directory. Any path outside
// /api/ that names no file there gets index.html (the page routes on the
// client side). A path never reaches outside the directory: ".." segments
// and files that resolve (through links) elsewhere are not served, nor are
// dot files.
#ifndef FLOWGRID_SCHEDULER_CONSOLE_STATIC_ASSETS_H_
#define FLOWGRID_SCHEDULER_CONSOLE_STATIC_ASSETS_H_

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scheduler/console/http_message.h"

namespace flowgrid::console {

// The Content-Type for a file name by its extension (text types with
// charset=utf-8); application/octet-stream for an unknown one.
std::string ContentTypeFor(absl::string_view file_name);

// `url_path` (URL-decoded) as a path relative to the assets directory
// ("/assets/app.js" -> "assets/app.js"; "/" -> ""). InvalidArgument for a
// ".." segment, a dot file or a NUL or backslash.
absl::StatusOr<std::filesystem::path> RelativeAssetPath(absl::string_view url_path);

class StaticAssets {
 public:
  explicit StaticAssets(std::filesystem::path root) : root_(std::move(root)) {}

  // The response to GET `url_path`: the file, index.html for a path that
  // names no file (404 when there is no index.html either: the assets are
  // not installed), 404 for a path refused by RelativeAssetPath.
  // index.html is sent with Cache-Control: no-cache so that a new build is
  // picked up.
  HttpResponse Serve(absl::string_view url_path) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  const std::filesystem::path root_;
};

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_STATIC_ASSETS_H_
