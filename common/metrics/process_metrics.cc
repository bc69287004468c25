#include "common/metrics/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace flowgrid {
namespace {

// The fields of /proc/self/stat this collector reads, in clock ticks / pages.
struct ProcStat {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double start_ticks_after_boot = 0;
  double rss_pages = 0;
};

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<ProcStat> ReadProcStat() {
  std::optional<std::string> text = ReadFile("/proc/self/stat");
  if (!text) return std::nullopt;
  // "pid (comm) state ppid ...": comm may contain spaces and ')', so the
  // fields are counted from the last ')'. Field 3 (state) is index 0.
  size_t close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*text).substr(close + 1), ' ', absl::SkipEmpty());
  auto field = [&](int number, double* out) {
    size_t index = number - 3;
    return index < fields.size() && absl::SimpleAtod(fields[index], out);
  };
  ProcStat stat;
  if (!field(14, &stat.utime_ticks) || !field(15, &stat.stime_ticks) ||
      !field(22, &stat.start_ticks_after_boot) || !field(24, &stat.rss_pages)) {
    return std::nullopt;
  }
  return stat;
}

std::optional<double> BootTimeSeconds() {
  std::optional<std::string> text = ReadFile("/proc/stat");
  if (!text) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    double seconds;
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtod(line, &seconds)) return seconds;
  }
  return std::nullopt;
}

std::optional<double> OpenFds() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return std::nullopt;
  double count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++count;
  }
  // The iterator's own descriptor was counted too.
  return count - 1;
}

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return prometheus::MetricFamily{name, help, type, {metric}};
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (std::optional<ProcStat> stat = ReadProcStat()) {
    families.push_back(Family("process_cpu_seconds_total",
                              "User and system CPU time spent in seconds.",
                              prometheus::MetricType::Counter,
                              (stat->utime_ticks + stat->stime_ticks) / ticks_per_second));
    families.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes.",
                              prometheus::MetricType::Gauge,
                              stat->rss_pages * static_cast<double>(sysconf(_SC_PAGESIZE))));
    if (std::optional<double> boot = BootTimeSeconds()) {
      families.push_back(Family("process_start_time_seconds",
                                "Start time of the process since unix epoch in seconds.",
                                prometheus::MetricType::Gauge,
                                *boot + stat->start_ticks_after_boot / ticks_per_second));
    }
  }
  if (std::optional<double> fds = OpenFds()) {
    families.push_back(Family("process_open_fds", "Number of open file descriptors.",
                              prometheus::MetricType::Gauge, *fds));
  }
  return families;
}

}  // namespace flowgrid
