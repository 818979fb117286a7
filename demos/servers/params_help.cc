// The --param help of the server demos, in the krgdemo binary itself:
// `krgdemo run --help` lists them without loading the servers plug-in.
#include <string>

#include "servers/webfarm.h"

namespace krg::demos {

std::string WebfarmParamsHelp() {
  return "serve_only=0|1          1: keep the farm up until Ctrl-C, no load "
         "(a live demo)\n"
         "port=N bind=ADDR        where to listen (default 127.0.0.1:8000; "
         "0: any free port; --bind sets bind)\n"
         "listen=reuseport|shared one SO_REUSEPORT socket per server "
         "(default) or one inherited socket\n"
         "load=tile|static|mixed  what wrk requests (default tile)\n"
         "connections=C1,C2       wrk connection counts of the sweep (size: "
         "8 | 16,64 | 64,256)\n"
         "duration=S              seconds of wrk per point (size: 1 | 3 | "
         "10 | 30)\n"
         "sweep=0|1               1: nodes 1,2,4..N (default); 0: N only\n"
         "kill_every=S            SIGKILL a server every S seconds under load "
         "(default 0: never)\n"
         "queue=server|kernel     where waiting clients queue: in each server "
         "(keep-alive) or in the accept queue that outlives a killed server "
         "(a few connections per server, each closed after its response; "
         "default: kernel with kill_every and tiles, else server)\n"
         "max_error_rate=F        failed requests above this fraction fail "
         "the run (default 0.01)\n"
         "tile_zoom=Z max_iter=N  tiles wrk requests (default z=2: 16 tiles) "
         "and their iteration limit\n"
         "max_connections=N timeout=S max_body=B max_header=B max_renders=N\n"
         "                        limits per server (1024, 10 s, 8 MiB, 32 "
         "KiB, 0 = threads or 1)\n"
         "max_pixels=N            largest image /thumb decodes, as its header "
         "declares it (40000000)\n"
         "static_dir=DIR          files for /static/ (default: a generated "
         "folder in the results)\n"
         "wrk_threads=N           wrk threads (default 2)";
}

}  // namespace krg::demos
