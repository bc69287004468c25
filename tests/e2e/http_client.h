// A small HTTP client for tests of the console (libcurl): requests with a
// method and headers, the status, headers and body of the answer, and
// reading a streamed body (Server-Sent Events) until enough has come.
#ifndef FLOWGRID_TESTS_E2E_HTTP_CLIENT_H_
#define FLOWGRID_TESTS_E2E_HTTP_CLIENT_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace flowgrid::testing {

struct HttpAnswer {
  int status = 0;
  // Header names lower-cased; the last value of a repeated one.
  std::map<std::string, std::string> headers;
  std::string body;
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // The whole call's bound.
  absl::Duration timeout = absl::Seconds(30);
  // When set, called with the body received so far after each piece; the
  // call stops (and succeeds) once it returns true: a stream read far
  // enough.
  std::function<bool(const std::string& body)> enough;
};

// Makes the call. An error (naming the URL) when there is no answer or it
// times out before `enough`; any HTTP status is an answer.
absl::StatusOr<HttpAnswer> Fetch(const HttpCall& call);

}  // namespace flowgrid::testing

#endif  // FLOWGRID_TESTS_E2E_HTTP_CLIENT_H_
