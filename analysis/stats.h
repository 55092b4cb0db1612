// Descriptive statistics of one figure over the repetitions of a cell:
// n, mean, sample standard deviation, min, max and a 95% confidence interval
// of the mean from Student's t distribution (n - 1 degrees of freedom).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace hap {

struct Stat {
    int n = 0;
    double mean = 0, min = 0, max = 0;
    std::optional<double> sd, ci_low, ci_high;  // need n >= 2
};

// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom
// (exact table to 30, then a Cornish-Fisher expansion; error < 0.001).
double t_quantile_975(int df);

Stat describe(const std::vector<double>& values);

}  // namespace hap
