#include "dupscan/minhash.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "dupscan/choices.hpp"
#include "dupscan/spec.hpp"

namespace dupscan {
namespace {

// numpy's legacy bounded draw for a uint64 range [low, high): masked rejection sampling.
std::uint64_t bounded_u64(std::mt19937& mt, std::uint64_t low, std::uint64_t high) {
  const std::uint64_t rng = high - 1 - low;
  std::uint64_t mask = rng;
  for (int s = 1; s < 64; s <<= 1)
    mask |= mask >> s;
  for (;;) {
    const std::uint64_t hi = mt();
    const std::uint64_t lo = mt();
    const std::uint64_t v = ((hi << 32) | lo) & mask;
    if (v <= rng) return low + v;
  }
}

// Gauss-Legendre rule with kGaussPoints nodes on [-1, 1], computed once by Newton's iteration on
// the Legendre polynomial (Numerical Recipes' gauleg), so no table of constants can carry a typo.
constexpr int kGaussPoints = 20;
// Subintervals of the composite rule. The integrands are polynomials of degree b*r <= K; 64 panels
// of 20 points integrate them to double precision for the K dupscan accepts (tests/test_lsh.cpp
// compares the resulting (b, r) with datasketch's).
constexpr int kPanels = 64;

struct GaussRule {
  double x[kGaussPoints];
  double w[kGaussPoints];
  GaussRule() {
    const int n = kGaussPoints;
    for (int i = 0; i < (n + 1) / 2; ++i) {
      double z = std::cos(M_PI * (i + 0.75) / (n + 0.5));
      double dp = 0.0;
      for (int iter = 0; iter < 100; ++iter) {
        double p1 = 1.0, p2 = 0.0;
        for (int j = 0; j < n; ++j) {
          const double p3 = p2;
          p2 = p1;
          p1 = ((2.0 * j + 1.0) * z * p2 - j * p3) / (j + 1);
        }
        dp = n * (z * p1 - p2) / (z * z - 1.0);
        const double z1 = z;
        z = z1 - p1 / dp;
        if (std::fabs(z - z1) < 1e-16) break;
      }
      x[i] = -z;
      x[n - 1 - i] = z;
      w[i] = w[n - 1 - i] = 2.0 / ((1.0 - z * z) * dp * dp);
    }
  }
};

// Nodes and weights of the composite rule on [lo, hi].
void composite_rule(double lo, double hi, std::vector<double>& x, std::vector<double>& w) {
  static const GaussRule rule;
  x.clear();
  w.clear();
  if (hi <= lo) return;
  const double h = (hi - lo) / kPanels;
  for (int p = 0; p < kPanels; ++p) {
    const double mid = lo + (p + 0.5) * h;
    for (int i = 0; i < kGaussPoints; ++i) {
      x.push_back(mid + 0.5 * h * rule.x[i]);
      w.push_back(0.5 * h * rule.w[i]);
    }
  }
}

}  // namespace

const char* scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::affine32:
      return "affine32";
    case Scheme::affine64:
      return "affine64";
    case Scheme::legacy:
      return "legacy";
  }
  return "?";
}

std::optional<Scheme> parse_scheme(std::string_view name) {
  for (Scheme s : {Scheme::affine32, Scheme::affine64, Scheme::legacy}) {
    if (name == scheme_name(s)) return s;
  }
  return std::nullopt;
}

const char* shingle_hash_name(ShingleHash hash) {
  return hash == ShingleHash::sha1 ? "sha1" : "xxh64";
}

std::optional<ShingleHash> parse_shingle_hash(std::string_view name) {
  for (ShingleHash h : {ShingleHash::xxh64, ShingleHash::sha1}) {
    if (name == shingle_hash_name(h)) return h;
  }
  return std::nullopt;
}

Choices scheme_choices() {
  return {scheme_name(Scheme::affine32), scheme_name(Scheme::affine64),
          scheme_name(Scheme::legacy)};
}

Choices shingle_hash_choices() {
  return {shingle_hash_name(ShingleHash::xxh64), shingle_hash_name(ShingleHash::sha1)};
}

Permutations make_permutations(std::uint32_t num_perm, std::uint32_t seed, Scheme scheme) {
  Permutations p;
  p.seed = seed;
  p.scheme = scheme;
  p.a.resize(num_perm);
  p.b.resize(num_perm);
  std::mt19937 mt(seed);  // std::mt19937(s) is MT19937's init_genrand(s), as numpy's RandomState(s)
  switch (scheme) {
    case Scheme::legacy:
      for (std::uint32_t i = 0; i < num_perm; ++i) {
        p.a[i] = bounded_u64(mt, 1, spec::mersenne61);
        p.b[i] = bounded_u64(mt, 0, spec::mersenne61);
      }
      break;
    case Scheme::affine32:
      // randint(0, 2^31, K, dtype=uint32): rng = 2^31 - 1, mask = 2^31 - 1, one 32-bit output per
      // draw, never rejected; then * 2 + 1 in uint32. randint(0, 2^32, K, dtype=uint32): the
      // full range, one unmasked output per draw.
      for (std::uint32_t i = 0; i < num_perm; ++i)
        p.a[i] = std::uint64_t{(static_cast<std::uint32_t>(mt()) & 0x7FFFFFFFu) * 2u + 1u};
      for (std::uint32_t i = 0; i < num_perm; ++i)
        p.b[i] = static_cast<std::uint32_t>(mt());
      break;
    case Scheme::affine64:
      // randint(0, 2^63, K, dtype=uint64): 64-bit draws masked to 63 bits, never rejected;
      // * 2 + 1 wraps in uint64. randint(0, 2^64, K, dtype=uint64): the full range, unmasked.
      for (std::uint32_t i = 0; i < num_perm; ++i)
        p.a[i] = (bounded_u64(mt, 0, std::uint64_t{1} << 63) << 1) | 1u;
      for (std::uint32_t i = 0; i < num_perm; ++i) {
        const std::uint64_t hi = mt();
        const std::uint64_t lo = mt();
        p.b[i] = (hi << 32) | lo;
      }
      break;
  }
  return p;
}

void minhash_update(const std::uint32_t* hashes, std::size_t count, const Permutations& perms,
                    std::uint32_t* sig) {
  const std::size_t k = perms.size();
  const std::uint64_t* a = perms.a.data();
  const std::uint64_t* b = perms.b.data();
  if (perms.scheme == Scheme::affine64) {
    throw std::invalid_argument("minhash_update: affine64 takes 64-bit hashes and signatures");
  }
  if (perms.scheme == Scheme::affine32) {
    for (std::size_t j = 0; j < count; ++j) {
      for (std::size_t i = 0; i < k; ++i) {
        const std::uint32_t v = spec::permute_affine32(static_cast<std::uint32_t>(a[i]),
                                                       static_cast<std::uint32_t>(b[i]), hashes[j]);
        sig[i] = std::min(sig[i], v);
      }
    }
    return;
  }
  for (std::size_t j = 0; j < count; ++j) {
    const std::uint32_t hv = hashes[j];
    for (std::size_t i = 0; i < k; ++i) {
      sig[i] = std::min(sig[i], spec::permute(a[i], b[i], hv));
    }
  }
}

void minhash_update(const std::uint64_t* hashes, std::size_t count, const Permutations& perms,
                    std::uint64_t* sig) {
  if (perms.scheme != Scheme::affine64) {
    throw std::invalid_argument(std::string("minhash_update: 64-bit hashes need affine64, not ") +
                                scheme_name(perms.scheme));
  }
  const std::size_t k = perms.size();
  for (std::size_t j = 0; j < count; ++j) {
    for (std::size_t i = 0; i < k; ++i) {
      sig[i] = std::min(sig[i], spec::permute_affine64(perms.a[i], perms.b[i], hashes[j]));
    }
  }
}

LshParams optimal_lsh_params(double threshold, std::uint32_t num_perm, double fp_weight,
                             double fn_weight) {
  // fp(b, r) = integral_0^T 1 - y(s) ds and fn(b, r) = integral_T^1 y(s) ds with
  // y(s) = (1 - s^r)^b. For each r, y is built up over b = 1, 2, ... by one multiplication per
  // node instead of a pow() per (b, r, node): the same values to ~1e-14, a thousand times faster.
  std::vector<double> x_fp, w_fp, x_fn, w_fn;
  composite_rule(0.0, threshold, x_fp, w_fp);
  composite_rule(threshold, 1.0, x_fn, w_fn);
  // err of (b, r) at start[b] + r - 1: the valid pairs (b * r <= K) number about K ln K.
  std::vector<std::size_t> start(std::size_t{num_perm} + 2, 0);
  for (std::uint32_t b = 1; b <= num_perm; ++b)
    start[b + 1] = start[b] + num_perm / b;
  std::vector<double> err(start[num_perm + 1], 0.0);
  std::vector<double> q_fp(x_fp.size()), y_fp(x_fp.size()), q_fn(x_fn.size()), y_fn(x_fn.size());
  for (std::uint32_t r = 1; r <= num_perm; ++r) {
    for (std::size_t i = 0; i < x_fp.size(); ++i)
      y_fp[i] = 1.0, q_fp[i] = 1.0 - std::pow(x_fp[i], r);
    for (std::size_t i = 0; i < x_fn.size(); ++i)
      y_fn[i] = 1.0, q_fn[i] = 1.0 - std::pow(x_fn[i], r);
    for (std::uint32_t b = 1; std::uint64_t{b} * r <= num_perm; ++b) {
      double fp = 0.0, fn = 0.0;
      for (std::size_t i = 0; i < x_fp.size(); ++i) {
        y_fp[i] *= q_fp[i];
        fp += w_fp[i] * (1.0 - y_fp[i]);
      }
      for (std::size_t i = 0; i < x_fn.size(); ++i) {
        y_fn[i] *= q_fn[i];
        fn += w_fn[i] * y_fn[i];
      }
      err[start[b] + r - 1] = fp * fp_weight + fn * fn_weight;
    }
  }
  // datasketch's scan: b outer, r inner, the first strict minimum wins.
  double min_error = std::numeric_limits<double>::infinity();
  LshParams opt{0, 0};
  for (std::uint32_t b = 1; b <= num_perm; ++b) {
    for (std::uint32_t r = 1; r <= num_perm / b; ++r) {
      const double e = err[start[b] + r - 1];
      if (e < min_error) {
        min_error = e;
        opt = {b, r};
      }
    }
  }
  return opt;
}

double candidate_probability(double s, LshParams params) {
  return 1.0 - std::pow(1.0 - std::pow(s, params.rows), params.bands);
}

void band_keys(const std::uint32_t* sig, LshParams params, std::uint64_t* keys) {
  for (std::uint32_t j = 0; j < params.bands; ++j) {
    keys[j] = spec::band_key(sig + std::size_t{j} * params.rows, params.rows, j);
  }
}

void band_keys(const std::uint64_t* sig, LshParams params, std::uint64_t* keys) {
  for (std::uint32_t j = 0; j < params.bands; ++j) {
    keys[j] = spec::band_key64(sig + std::size_t{j} * params.rows, params.rows, j);
  }
}

namespace {

template <class T>
double fraction_equal(const T* sig_a, const T* sig_b, std::uint32_t k) {
  std::uint32_t equal = 0;
  for (std::uint32_t i = 0; i < k; ++i)
    equal += sig_a[i] == sig_b[i];
  return static_cast<double>(equal) / static_cast<double>(k);
}

}  // namespace

double estimate_jaccard(const std::uint32_t* sig_a, const std::uint32_t* sig_b, std::uint32_t k) {
  return fraction_equal(sig_a, sig_b, k);
}

double estimate_jaccard(const std::uint64_t* sig_a, const std::uint64_t* sig_b, std::uint32_t k) {
  return fraction_equal(sig_a, sig_b, k);
}

}  // namespace dupscan
