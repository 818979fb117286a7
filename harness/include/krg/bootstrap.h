// Bootstrap intervals over rounds, and Holm's correction for a family of
// tests: how `compare` judges a change between two bench files.
//
// A bench file holds its samples grouped by round (`bench --rounds`): each
// round ran the whole suite once, so rounds are the independent units
// (samples inside one round are taken back to back and correlated). The
// statistic of one side is the median of its round medians; a bootstrap
// draw resamples the rounds with replacement and, inside each drawn round,
// its samples (a two-level bootstrap, so both the spread between rounds and
// the spread inside them widen the interval). With one round only, the
// samples are the units, which understates the noise between runs.
//
// Pure functions; the random stream is seeded by the caller, so a report is
// the same every time it is drawn. Safe from any thread.
//
//   std::mt19937_64 rng(seed);
//   auto a = BootstrapMedians(a_rounds, 10000, rng);
//   auto b = BootstrapMedians(b_rounds, 10000, rng);
//   Interval ratio = RatioInterval(a, b, 0.95);
#ifndef KRG_BOOTSTRAP_H_
#define KRG_BOOTSTRAP_H_

#include <random>
#include <vector>

namespace krg {

// The median of the round medians.
// REQUIRES: every round non-empty, at least one round.
double MedianOfRounds(const std::vector<std::vector<double>>& rounds);

// `resamples` bootstrap draws of MedianOfRounds (see the file comment).
// REQUIRES: as MedianOfRounds, resamples >= 1.
std::vector<double> BootstrapMedians(
    const std::vector<std::vector<double>>& rounds, int resamples,
    std::mt19937_64& rng);

struct Interval {
  double lo = 0, hi = 0;
};

// The central `confidence` percentile interval of `draws`.
// REQUIRES: !draws.empty(), 0 < confidence < 1.
Interval PercentileInterval(std::vector<double> draws, double confidence);

// Draw by draw, b[i] / a[i]. REQUIRES: a.size() == b.size().
std::vector<double> Ratios(const std::vector<double>& a,
                           const std::vector<double>& b);

// The bootstrap p-value of "the ratio is at most `bound`" against "it is
// above" (above = true), or of "at least" against "below" (above = false):
// the share of draws on the null side, counted as (k + 1) / (n + 1) so that
// it is never 0.
double BootstrapPValue(const std::vector<double>& ratio_draws, double bound,
                       bool above);

// Holm's step-down adjustment: p-values that can be compared with alpha
// directly while keeping the family-wise error rate at alpha. Same order
// as the input; each result is in [p, 1].
std::vector<double> HolmAdjust(const std::vector<double>& p);

}  // namespace krg

#endif  // KRG_BOOTSTRAP_H_
