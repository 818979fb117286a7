#include "krg/stats.h"

#include <algorithm>
#include <cmath>

#include "krg/check.h"

namespace krg {

double Median(std::vector<double> v) {
  KRG_CHECK(!v.empty()) << "median of nothing";
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Summary Summarize(const std::vector<double>& samples) {
  KRG_CHECK(!samples.empty()) << "summary of no samples";
  Summary s;
  s.count = static_cast<int>(samples.size());
  s.median = Median(samples);
  s.min = *std::min_element(samples.begin(), samples.end());
  s.max = *std::max_element(samples.begin(), samples.end());
  double sum = 0;
  for (double x : samples) sum += x;
  s.mean = sum / s.count;
  std::vector<double> dev;
  double sq = 0;
  for (double x : samples) {
    dev.push_back(std::fabs(x - s.median));
    sq += (x - s.mean) * (x - s.mean);
  }
  s.mad = Median(dev);
  s.cov =
      s.count > 1 && s.mean > 0 ? std::sqrt(sq / (s.count - 1)) / s.mean : 0;
  return s;
}

bool RepeatPolicy::WantMore(const std::vector<double>& samples,
                            double elapsed_s) const {
  const int n = static_cast<int>(samples.size());
  if (fixed > 0) return n < fixed;
  if (n < 1) return true;
  if (n >= max_samples || elapsed_s >= budget_s) return false;
  if (n < min_samples) return true;
  return Summarize(samples).cov >= target_cov;
}

double AmdahlFit::PredictSpeedup(double nodes) const {
  return 1.0 / (serial_fraction + (1.0 - serial_fraction) / nodes);
}

AmdahlFit FitAmdahl(const std::vector<double>& nodes,
                    const std::vector<double>& times) {
  KRG_CHECK(nodes.size() == times.size() && nodes.size() >= 2)
      << "Amdahl fit needs two points or more";
  // T(n) = a + b * x with x = 1/n: a = T1*f, b = T1*(1-f).
  const double k = static_cast<double>(nodes.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const double x = 1.0 / nodes[i];
    sx += x;
    sy += times[i];
    sxx += x * x;
    sxy += x * times[i];
  }
  const double den = k * sxx - sx * sx;
  KRG_CHECK(den > 0) << "Amdahl fit needs two distinct node counts";
  double b = (k * sxy - sx * sy) / den;
  double a = (sy - b * sx) / k;
  AmdahlFit fit;
  fit.t1 = a + b;
  fit.serial_fraction = fit.t1 > 0 ? std::clamp(a / fit.t1, 0.0, 1.0) : 1.0;
  return fit;
}

}  // namespace krg
