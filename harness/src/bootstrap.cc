#include "krg/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "krg/check.h"
#include "krg/stats.h"

namespace krg {
namespace {

// The median of `n` samples drawn with replacement from `values`.
double ResampledMedian(const std::vector<double>& values, std::mt19937_64& rng,
                       std::vector<double>& scratch) {
  std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
  scratch.resize(values.size());
  for (double& v : scratch) v = values[pick(rng)];
  return Median(scratch);
}

}  // namespace

double MedianOfRounds(const std::vector<std::vector<double>>& rounds) {
  KRG_CHECK(!rounds.empty()) << "no rounds";
  std::vector<double> medians;
  for (const std::vector<double>& r : rounds) medians.push_back(Median(r));
  return Median(medians);
}

std::vector<double> BootstrapMedians(
    const std::vector<std::vector<double>>& rounds, int resamples,
    std::mt19937_64& rng) {
  KRG_CHECK(!rounds.empty() && resamples >= 1) << "nothing to resample";
  std::vector<double> draws(std::size_t(resamples), 0.0);
  std::vector<double> scratch, medians(rounds.size());
  std::uniform_int_distribution<std::size_t> pick(0, rounds.size() - 1);
  for (double& d : draws) {
    if (rounds.size() == 1) {
      d = ResampledMedian(rounds[0], rng, scratch);
      continue;
    }
    for (double& m : medians)
      m = ResampledMedian(rounds[pick(rng)], rng, scratch);
    d = Median(medians);
  }
  return draws;
}

Interval PercentileInterval(std::vector<double> draws, double confidence) {
  KRG_CHECK(!draws.empty()) << "no draws";
  std::sort(draws.begin(), draws.end());
  const double tail = (1 - confidence) / 2;
  const auto at = [&](double q) {
    const double pos = q * double(draws.size() - 1);
    const std::size_t i = std::size_t(std::floor(pos));
    const std::size_t j = std::min(i + 1, draws.size() - 1);
    return draws[i] + (pos - double(i)) * (draws[j] - draws[i]);
  };
  return {at(tail), at(1 - tail)};
}

std::vector<double> Ratios(const std::vector<double>& a,
                           const std::vector<double>& b) {
  KRG_CHECK(a.size() == b.size()) << "draw counts differ";
  std::vector<double> r(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) r[i] = b[i] / a[i];
  return r;
}

double BootstrapPValue(const std::vector<double>& ratio_draws, double bound,
                       bool above) {
  std::size_t null_side = 0;
  for (double r : ratio_draws) null_side += above ? r <= bound : r >= bound;
  return double(null_side + 1) / double(ratio_draws.size() + 1);
}

std::vector<double> HolmAdjust(const std::vector<double>& p) {
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return p[x] < p[y]; });
  std::vector<double> adjusted(p.size());
  double running = 0;  // adjusted p-values never decrease down the order
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    const double scaled = double(p.size() - rank) * p[order[rank]];
    running = std::max(running, std::min(1.0, scaled));
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

}  // namespace krg
