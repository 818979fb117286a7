// Map tiles of the Mandelbrot set for the webfarm's /tile/{z}/{x}/{y}.png:
// the square [-2.5, 1.5] x [-2, 2] of the complex plane cut into 2^z x 2^z
// tiles of 256 x 256 pixels, rendered by the mandelbrot demo's kernel
// (scientific/mandelbrot_kernel.h) through its public API only.
//
// A tile's checksum is the FNV-1a of its escape-time floats, the same bytes
// the mandelbrot demo checksums for a 256 x 256 image of the same region
// (TileDemoParams gives those --param values), so a client can check a tile
// against the demo. Pure functions: thread-safe.
#ifndef KRG_DEMOS_SERVERS_TILE_H_
#define KRG_DEMOS_SERVERS_TILE_H_

#include <map>
#include <string>
#include <vector>

#include "krg/status.h"

namespace krg::demos::servers {

inline constexpr int kTileSize = 256;
inline constexpr int kMaxZoom = 40;

struct TileId {
  int z = 0, x = 0, y = 0;
};

// Parses "{z}/{x}/{y}.png" (the part after /tile/); kInvalidArgument when
// malformed, kNotFound when x or y is outside 0 .. 2^z - 1 or z > kMaxZoom.
Result<TileId> ParseTilePath(const std::string& rest);

// The region X0,Y0,X1,Y1 of tile `t`.
std::vector<double> TileRegion(const TileId& t);

// The mandelbrot demo's --param values that render exactly tile `t`.
std::map<std::string, std::string> TileDemoParams(const TileId& t,
                                                  int max_iter);

// kTileSize^2 smooth escape-time values of tile `t`, row by row.
std::vector<float> RenderTile(const TileId& t, int max_iter);

// "fnv1a64:..." of the floats, as the mandelbrot demo writes its checksum.
std::string TileChecksum(const std::vector<float>& values);

// The tile as a PNG (8-bit BGR, the demo's gradient); "" if encoding failed.
std::string EncodeTilePng(const std::vector<float>& values);

}  // namespace krg::demos::servers

#endif  // KRG_DEMOS_SERVERS_TILE_H_
