// Statistics for timing samples: median, min, MAD, coefficient of variation,
// the adaptive repeat rule, and an Amdahl's-law fit of a speedup curve.
// Pure functions of their arguments: safe from any thread.
//
//   RepeatPolicy p;                 // until CoV < 3.5%, 3..10 samples, 20 s
//   while (p.WantMore(samples, elapsed_s)) samples.push_back(TimeOnePass());
#ifndef KRG_STATS_H_
#define KRG_STATS_H_

#include <vector>

namespace krg {

struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double mad = 0;  // median absolute deviation from the median (unscaled)
  double cov = 0;  // coefficient of variation: sample stddev / mean
  int count = 0;
};

// REQUIRES: !samples.empty()
Summary Summarize(const std::vector<double>& samples);
double Median(std::vector<double> values);

// When to stop repeating a measurement.
struct RepeatPolicy {
  int fixed = 0;              // > 0: exactly this many samples
  double target_cov = 0.035;  // stop once the spread is this small ...
  int min_samples = 3;        // ... with at least this many samples,
  int max_samples = 10;       // or at this many,
  double budget_s = 20;       // or when measuring took this long.
  int warmups = 1;            // unmeasured passes first (0 with `fixed`)

  bool WantMore(const std::vector<double>& samples, double elapsed_s) const;
};

// Amdahl's law fitted to times T(n) = T1 * (f + (1 - f) / n) by least squares
// on 1/n. `serial_fraction` is f, clamped to [0, 1].
struct AmdahlFit {
  double serial_fraction = 0;
  double t1 = 0;  // fitted one-node time
  // Speedup the fit predicts on `nodes` nodes.
  double PredictSpeedup(double nodes) const;
};

// REQUIRES: nodes.size() == times.size() >= 2, at least two distinct node
// counts, every time > 0.
AmdahlFit FitAmdahl(const std::vector<double>& nodes,
                    const std::vector<double>& times);

}  // namespace krg

#endif  // KRG_STATS_H_
