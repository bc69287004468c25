// What a workflow looks like when it leaves the scheduler: the values of
// its secret environment variables never do (GetRun returns the workflow a
// run was submitted with; the stored copy keeps them to resume and re-run).
#ifndef FLOWGRID_SCHEDULER_SERVICE_SECRET_VALUES_H_
#define FLOWGRID_SCHEDULER_SERVICE_SECRET_VALUES_H_

#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::service {

// Replaces the value of every environment variable marked secret by the
// empty string (the variable, its name and its secret flag stay).
void BlankSecretValues(v1::Workflow& workflow);

}  // namespace flowgrid::service

#endif  // FLOWGRID_SCHEDULER_SERVICE_SECRET_VALUES_H_
