// The SPMD pass on both engines (executor.h RunSpmd). Private to harness/src.
#ifndef KRG_SRC_SPMD_EXECUTOR_H_
#define KRG_SRC_SPMD_EXECUTOR_H_

#include "krg/executor.h"
#include "krg/platform.h"
#include "krg/workload.h"

namespace krg::internal {

// Ranks are OpenMP threads sharing one allocation.
Result<ExecReport> RunSpmdThreads(SpmdWorkload& w, const ExecOptions& opts);
// Ranks are worker processes (one per slot) sharing a System V arena.
Result<ExecReport> RunSpmdProcs(platform::Platform& platform, SpmdWorkload& w,
                                const ExecOptions& opts);

}  // namespace krg::internal

#endif  // KRG_SRC_SPMD_EXECUTOR_H_
