#include "stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hap {

double t_quantile_975(int df) {
    static const double table[] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                                   2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                                   2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
    if (df < 1) return NAN;
    if (df <= 30) return table[df - 1];
    const double z = 1.959964, v = df;
    return z + (z * z * z + z) / (4 * v) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * v * v);
}

Stat describe(const std::vector<double>& values) {
    Stat s;
    s.n = static_cast<int>(values.size());
    if (values.empty()) return s;
    s.mean = std::accumulate(values.begin(), values.end(), 0.0) / s.n;
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    s.min = *lo;
    s.max = *hi;
    if (s.n >= 2) {
        double ss = 0;
        for (double v : values) ss += (v - s.mean) * (v - s.mean);
        s.sd = std::sqrt(ss / (s.n - 1));
        const double half = t_quantile_975(s.n - 1) * *s.sd / std::sqrt(static_cast<double>(s.n));
        s.ci_low = s.mean - half;
        s.ci_high = s.mean + half;
    }
    return s;
}

}  // namespace hap
