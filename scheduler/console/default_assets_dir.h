// Where the console's front-end files are when --console_assets_dir is not
// given, found from the running binary's location:
//   <bin>/../share/flowgrid/console   installed (cmake --install)
//   <bin>/../console/dist             the build tree (<build>/bin/..)
#ifndef FLOWGRID_SCHEDULER_CONSOLE_DEFAULT_ASSETS_DIR_H_
#define FLOWGRID_SCHEDULER_CONSOLE_DEFAULT_ASSETS_DIR_H_

#include <filesystem>

namespace flowgrid::console {

// The first of those that holds an index.html, for the binary at
// `binary`; the installed one when neither does (the API works without
// the page).
std::filesystem::path DefaultAssetsDir(const std::filesystem::path& binary);

// The running process's binary (/proc/self/exe); empty if unreadable.
std::filesystem::path RunningBinary();

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_DEFAULT_ASSETS_DIR_H_
