// The cluster options of `run` and `scale`: which Kerrighed capabilities a
// demo runs with (--caps) and how procs workers are placed (--placement),
// read into a krg::ClusterRequest that the Session applies before any worker
// is forked. On linux there are no capabilities; the options are accepted
// and recorded, and placement is always a CPU set.
// Single-threaded: the launcher's main thread.
#ifndef KRG_LAUNCHER_CLUSTER_H_
#define KRG_LAUNCHER_CLUSTER_H_

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "krg/platform.h"
#include "krg/session.h"
#include "krg/status.h"
#include "registry.h"

namespace krg::cli {

// Adds --caps and --placement.
void AddClusterOptions(boost::program_options::options_description* desc);
Status ReadClusterOptions(const boost::program_options::variables_map& vm,
                          ClusterRequest* req);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_CLUSTER_H_
