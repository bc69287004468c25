#include "scheduler/console/default_assets_dir.h"

#include <system_error>

namespace flowgrid::console {

std::filesystem::path DefaultAssetsDir(const std::filesystem::path& binary) {
  const std::filesystem::path prefix = binary.parent_path().parent_path();
  const std::filesystem::path installed = prefix / "share" / "flowgrid" / "console";
  for (const std::filesystem::path& dir : {installed, prefix / "console" / "dist"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir / "index.html", ec)) return dir;
  }
  return installed;
}

std::filesystem::path RunningBinary() {
  std::error_code ec;
  std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : binary;
}

}  // namespace flowgrid::console
