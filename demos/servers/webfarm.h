// The webfarm demo (the service shape): a supervised farm of libmicrohttpd
// server processes, one per node, on one port, measured with wrk over a
// sweep of node and connection counts, verified while under load; or, with
// --param serve_only=1, kept up for a live demo until Ctrl-C. See
// docs/servers.md.
#ifndef KRG_DEMOS_SERVERS_WEBFARM_H_
#define KRG_DEMOS_SERVERS_WEBFARM_H_

#include <memory>
#include <string>

#include "../registry.h"
#include "krg/service.h"

namespace krg::demos {

Result<std::unique_ptr<Workload>> MakeWebfarm(const DemoConfig& config);
std::string WebfarmParamsHelp();

}  // namespace krg::demos

#endif  // KRG_DEMOS_SERVERS_WEBFARM_H_
