// Building and running jobs in the worker's job tests (real interpreters).
#ifndef FLOWGRID_TESTS_UNIT_WORKER_JOB_TESTING_H_
#define FLOWGRID_TESTS_UNIT_WORKER_JOB_TESTING_H_

#include <string>

#include "flowgrid/v1/worker.pb.h"
#include "worker/job/job_runner.h"

namespace flowgrid::job {

inline v1::Job MakeJob(v1::CodeNode::Language language, const std::string& code,
                       v1::Job::Kind kind = v1::Job::RUN_CODE) {
  v1::Job job;
  job.set_job_id("job-1");
  job.set_attempt(1);
  job.set_kind(kind);
  job.set_language(language);
  job.set_code(code);
  return job;
}

// Runs with the default options: /usr/bin/python3 and /usr/bin/node.
inline v1::NodeResult RunJob(const v1::Job& job, int cancel_fd = -1) {
  return JobRunner(JobRunnerOptions{}).Run(job, cancel_fd);
}

// Runs `job` and expects it to fail with `code` and exactly `message`.
inline void ExpectFailure(const v1::Job& job, v1::ErrorCode code, const std::string& message) {
  v1::NodeResult result = RunJob(job);
  EXPECT_EQ(result.status(), v1::NODE_FAILED);
  EXPECT_EQ(result.error().code(), code);
  EXPECT_EQ(result.error().message(), message);
}

}  // namespace flowgrid::job

#endif  // FLOWGRID_TESTS_UNIT_WORKER_JOB_TESTING_H_
