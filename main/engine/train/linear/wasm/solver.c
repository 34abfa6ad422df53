// liblinear's two dual coordinate descent solvers, compiled to WebAssembly (build.mjs). When first written
// (commit 3a02591) they measured 3-7x faster than the same algorithm in TypeScript on the dev sets, and about 3x
// faster than scikit-learn's compiled liblinear on O*NET job descriptions (22 one-vs-rest SVM problems, C = 1).
//
//  - svm_dual: L2-regularised L2-loss SVM with shrinking, one binary problem (Hsieh, Chang, Lin, Keerthi &
//    Sundararajan, ICML 2008, Algorithm 3; liblinear's solve_l2r_l1l2_svc):
//      min_a 1/2 a'(Q + D)a - e'a, a >= 0, Q_ij = y_i y_j x_i'x_j, D_ii = 1/(2 C_i).
//  - svm_dual_ovr: the same, the m one-vs-rest problems side by side over the same rows, each with its own
//    shrinking and stopping test. Measured on O*NET task sentences, words+chars (15,696 rows, 22 problems, CPU
//    time in one process against svm_dual one problem at a time): 1.9x at C = 0.3, 1.8x at C = 1, 1.6x at C = 3,
//    1.2-1.5x at C = 10 (2.2-3.1x at C <= 3 once MatrixSolver sorted each row by its renumbered columns). With
//    that layout it is also as fast or faster where the weights are large beside the rows' entries (O*NET job
//    descriptions, words alone); where the problems are few, one at a time is faster: ovr.ts, svmSideBySide.
//  - lr_dual_ovr: L2-regularised logistic regression with an inner Newton method per coordinate (Yu, Huang &
//    Lin, Machine Learning 2011, Algorithm 5; liblinear's solve_l2r_lr_dual), the m one-vs-rest problems
//    solved side by side over the same rows:
//      min_a 1/2 a'Qa + sum a_i log a_i + (C_i - a_i) log(C_i - a_i), 0 < a_i < C_i.
//
// Rows are CSR (indptr, indices, float32 values); `rows` lists the rows that take part. The bias is a constant
// feature of value `bias` appended to every row; its weight is w[cols]. All stop where liblinear stops (the
// projected-gradient spread for the SVM, the largest sub-problem gradient for LR, below eps) and visit rows in
// an order drawn from a fixed seed, so the same problem always gives the same solution.
// No libc: the one transcendental needed, log, comes from the host (JavaScript's Math.log).

typedef unsigned int u32;
typedef signed char i8;

extern double host_log(double x) __attribute__((import_module("env"), import_name("log")));

static u32 rng_state;


static inline u32 next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static inline double absd(double x) { return x < 0 ? -x : x; }

#define ORDER_SEED 0x2545f491u
#define INF 1e300

static void shuffle(int *index, int n) {
  for (int i = 0; i < n; i++) {
    int j = i + (int)(next_random() % (u32)(n - i));
    int t = index[i];
    index[i] = index[j];
    index[j] = t;
  }
}

// Four partial sums, combined at the end: one running sum makes every entry wait for the previous addition
// (its latency, not the loads, set the pace: measured 1.6x slower passes on O*NET task sentences' rows of
// about 300 entries).
static double row_dot(const double *w, const int *indptr, const int *ind, const float *dat, int r, int cols, double bias) {
  int k = indptr[r];
  const int end = indptr[r + 1];
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (; k + 4 <= end; k += 4) {
    s0 += w[ind[k]] * (double)dat[k];
    s1 += w[ind[k + 1]] * (double)dat[k + 1];
    s2 += w[ind[k + 2]] * (double)dat[k + 2];
    s3 += w[ind[k + 3]] * (double)dat[k + 3];
  }
  for (; k < end; k++) s0 += w[ind[k]] * (double)dat[k];
  return w[cols] * bias + ((s0 + s1) + (s2 + s3));
}

static void row_axpy(double a, double *w, const int *indptr, const int *ind, const float *dat, int r, int cols, double bias) {
  for (int k = indptr[r], end = indptr[r + 1]; k < end; k++) w[ind[k]] += a * (double)dat[k];
  w[cols] += a * bias;
}

static double row_norm2(const int *indptr, const float *dat, int r, double bias) {
  double s = bias * bias;
  for (int k = indptr[r], end = indptr[r + 1]; k < end; k++) s += (double)dat[k] * (double)dat[k];
  return s;
}

typedef double v2d __attribute__((vector_size(16), aligned(8)));

// The lanes of feature-major W are swept in blocks of up to LANE_BLOCK pairs: one sweep of a row's entries
// serves a block, each pair of lanes with its own running sum, so the additions of different pairs overlap
// (one pair per sweep waits for each addition in turn). A block's pair count is a constant where the helpers
// are inlined, so its sums stay in registers.
#define LANE_BLOCK 6

static inline __attribute__((always_inline)) void dot_block(const int n, const double *W, int M, int c, int k0, int k1,
                                                            const int *ind, const float *dat, const double *wb,
                                                            v2d vb, double *out) {
  v2d s[LANE_BLOCK];
  for (int u = 0; u < n; u++) s[u] = *(const v2d *)(wb + c + 2 * u) * vb;
  for (int k = k0; k < k1; k++) {
    const double x = (double)dat[k];
    const v2d vx = {x, x};
    const double *p = W + ind[k] * M + c;
    for (int u = 0; u < n; u++) s[u] += *(const v2d *)(p + 2 * u) * vx;
  }
  for (int u = 0; u < n; u++) *(v2d *)(out + c + 2 * u) = s[u];
}

static inline __attribute__((always_inline)) void axpy_block(const int n, const double *a, double *W, int M, int c,
                                                             int k0, int k1, const int *ind, const float *dat,
                                                             double *wb, v2d vb) {
  v2d av[LANE_BLOCK];
  for (int u = 0; u < n; u++) av[u] = *(const v2d *)(a + c + 2 * u);
  for (int k = k0; k < k1; k++) {
    const double x = (double)dat[k];
    const v2d vx = {x, x};
    double *p = W + ind[k] * M + c;
    for (int u = 0; u < n; u++) *(v2d *)(p + 2 * u) += av[u] * vx;
  }
  for (int u = 0; u < n; u++) *(v2d *)(wb + c + 2 * u) += av[u] * vb;
}

// The dot products of row r with the M weight vectors of feature-major W (M even), into out[0..M): lane c sums
// w_c[cols] * bias and then w_c[j] * x_rj in the row's order, as row_dot does for one vector.
static void rows_dot(const double *W, int M, const int *indptr, const int *ind, const float *dat, int r, int cols,
                     double bias, double *out) {
  const int k0 = indptr[r], k1 = indptr[r + 1];
  const double *wb = W + cols * M;
  const v2d vb = {bias, bias};
  int c = 0;
  for (; M - c >= 2 * LANE_BLOCK; c += 2 * LANE_BLOCK) dot_block(LANE_BLOCK, W, M, c, k0, k1, ind, dat, wb, vb, out);
  switch ((M - c) / 2) {
    case 5: dot_block(5, W, M, c, k0, k1, ind, dat, wb, vb, out); break;
    case 4: dot_block(4, W, M, c, k0, k1, ind, dat, wb, vb, out); break;
    case 3: dot_block(3, W, M, c, k0, k1, ind, dat, wb, vb, out); break;
    case 2: dot_block(2, W, M, c, k0, k1, ind, dat, wb, vb, out); break;
    case 1: dot_block(1, W, M, c, k0, k1, ind, dat, wb, vb, out); break;
    default: break;
  }
}

// w_c += a[c] * x_r for the M weight vectors of feature-major W (M even), as row_axpy does for one.
static void rows_axpy(const double *a, int M, double *W, const int *indptr, const int *ind, const float *dat, int r,
                      int cols, double bias) {
  const int k0 = indptr[r], k1 = indptr[r + 1];
  const v2d vb = {bias, bias};
  double *wb = W + cols * M;
  int c = 0;
  for (; M - c >= 2 * LANE_BLOCK; c += 2 * LANE_BLOCK) axpy_block(LANE_BLOCK, a, W, M, c, k0, k1, ind, dat, wb, vb);
  switch ((M - c) / 2) {
    case 5: axpy_block(5, a, W, M, c, k0, k1, ind, dat, wb, vb); break;
    case 4: axpy_block(4, a, W, M, c, k0, k1, ind, dat, wb, vb); break;
    case 3: axpy_block(3, a, W, M, c, k0, k1, ind, dat, wb, vb); break;
    case 2: axpy_block(2, a, W, M, c, k0, k1, ind, dat, wb, vb); break;
    case 1: axpy_block(1, a, W, M, c, k0, k1, ind, dat, wb, vb); break;
    default: break;
  }
}

// The dot products of row r with the lane pairs of feature-major W that start at lanes po[0..np) (even, in any
// order): lane c's sum is taken exactly as rows_dot takes it, whichever other pairs are swept beside it.
static inline __attribute__((always_inline)) void dot_pairs(const int n, const int *po, const double *W, int M, int k0,
                                                            int k1, const int *ind, const float *dat, const double *wb,
                                                            v2d vb, double *out) {
  v2d s[LANE_BLOCK];
  int o[LANE_BLOCK];
  for (int u = 0; u < n; u++) {
    o[u] = po[u];
    s[u] = *(const v2d *)(wb + o[u]) * vb;
  }
  for (int k = k0; k < k1; k++) {
    const double x = (double)dat[k];
    const v2d vx = {x, x};
    const double *p = W + ind[k] * M;
    for (int u = 0; u < n; u++) s[u] += *(const v2d *)(p + o[u]) * vx;
  }
  for (int u = 0; u < n; u++) *(v2d *)(out + o[u]) = s[u];
}

static inline __attribute__((always_inline)) void axpy_pairs(const int n, const int *po, const double *a, double *W,
                                                             int M, int k0, int k1, const int *ind, const float *dat,
                                                             double *wb, v2d vb) {
  v2d av[LANE_BLOCK];
  int o[LANE_BLOCK];
  for (int u = 0; u < n; u++) {
    o[u] = po[u];
    av[u] = *(const v2d *)(a + o[u]);
  }
  for (int k = k0; k < k1; k++) {
    const double x = (double)dat[k];
    const v2d vx = {x, x};
    double *p = W + ind[k] * M;
    for (int u = 0; u < n; u++) *(v2d *)(p + o[u]) += av[u] * vx;
  }
  for (int u = 0; u < n; u++) *(v2d *)(wb + o[u]) += av[u] * vb;
}

static void pairs_dot(const int *po, int np, const double *W, int M, const int *indptr, const int *ind,
                      const float *dat, int r, int cols, double bias, double *out) {
  const int k0 = indptr[r], k1 = indptr[r + 1];
  const double *wb = W + cols * M;
  const v2d vb = {bias, bias};
  int u = 0;
  for (; np - u >= LANE_BLOCK; u += LANE_BLOCK) dot_pairs(LANE_BLOCK, po + u, W, M, k0, k1, ind, dat, wb, vb, out);
  switch (np - u) {
    case 5: dot_pairs(5, po + u, W, M, k0, k1, ind, dat, wb, vb, out); break;
    case 4: dot_pairs(4, po + u, W, M, k0, k1, ind, dat, wb, vb, out); break;
    case 3: dot_pairs(3, po + u, W, M, k0, k1, ind, dat, wb, vb, out); break;
    case 2: dot_pairs(2, po + u, W, M, k0, k1, ind, dat, wb, vb, out); break;
    case 1: dot_pairs(1, po + u, W, M, k0, k1, ind, dat, wb, vb, out); break;
    default: break;
  }
}

static void pairs_axpy(const int *po, int np, const double *a, double *W, int M, const int *indptr, const int *ind,
                       const float *dat, int r, int cols, double bias) {
  const int k0 = indptr[r], k1 = indptr[r + 1];
  double *wb = W + cols * M;
  const v2d vb = {bias, bias};
  int u = 0;
  for (; np - u >= LANE_BLOCK; u += LANE_BLOCK) axpy_pairs(LANE_BLOCK, po + u, a, W, M, k0, k1, ind, dat, wb, vb);
  switch (np - u) {
    case 5: axpy_pairs(5, po + u, a, W, M, k0, k1, ind, dat, wb, vb); break;
    case 4: axpy_pairs(4, po + u, a, W, M, k0, k1, ind, dat, wb, vb); break;
    case 3: axpy_pairs(3, po + u, a, W, M, k0, k1, ind, dat, wb, vb); break;
    case 2: axpy_pairs(2, po + u, a, W, M, k0, k1, ind, dat, wb, vb); break;
    case 1: axpy_pairs(1, po + u, a, W, M, k0, k1, ind, dat, wb, vb); break;
    default: break;
  }
}

// Both solvers run in slices: a call makes at most `passes` passes and returns, and the next call (start == 0)
// resumes where it stopped, from the state kept in `st` and in the arrays. The host calls again until the
// solver says it has finished. This changes nothing in what is computed; it is for the engine that runs the
// code: V8 first runs WebAssembly from a quick baseline compilation and swaps in optimised code only between
// calls, so one long call would run unoptimised to the end (measured: the joint logistic regression below at
// half speed on O*NET task sentences).
// Return values: 0 = not finished, call again; 1 = converged (eps reached); 2 = stopped at max_iter.
#define SLICE_MORE 0
#define SLICE_CONVERGED 1
#define SLICE_LIMIT 2

// SVM. st (4 doubles) keeps the passes made, the active count, pg_max_old and the order generator's state.
// alpha (l values) is the start (any a >= 0; zeros for a cold start) and the result; w (cols + 1) is output.
// qd (l doubles) and index (l ints) are scratch that must survive between slices.
int svm_dual(int l, const int *rows, const int *indptr, const int *ind, const float *dat, int cols, const i8 *y,
             double cp, double cn, double bias, double eps, int max_iter, double *w, double *alpha, double *qd,
             int *index, int start, int passes, double *st) {
  const double diag_p = 0.5 / cp, diag_n = 0.5 / cn;
  int iter, active;
  // With L2 loss a has no upper bound, so only variables at 0 are shrunk (liblinear's PGmin_old serves the
  // L1-loss variant's upper bound, which never applies here).
  double pg_max_old;
  if (start) {
    for (int j = 0; j <= cols; j++) w[j] = 0;
    for (int i = 0; i < l; i++) {
      qd[i] = row_norm2(indptr, dat, rows[i], bias) + (y[i] > 0 ? diag_p : diag_n);
      if (alpha[i] != 0) row_axpy(y[i] * alpha[i], w, indptr, ind, dat, rows[i], cols, bias);
      index[i] = i;
    }
    rng_state = ORDER_SEED;
    iter = 0;
    active = l;
    pg_max_old = INF;
  } else {
    iter = (int)st[0];
    active = (int)st[1];
    pg_max_old = st[2];
    rng_state = (u32)st[3];
  }
  int status = SLICE_MORE;
  for (int slice = 0; slice < passes; slice++) {
    if (iter >= max_iter) {
      status = SLICE_LIMIT;
      break;
    }
    double pg_max_new = -INF, pg_min_new = INF;
    shuffle(index, active);
    for (int s = 0; s < active; s++) {
      const int i = index[s], r = rows[i], yi = y[i];
      const double ai = alpha[i];
      const double g = yi * row_dot(w, indptr, ind, dat, r, cols, bias) - 1 + ai * (yi > 0 ? diag_p : diag_n);
      double pg = 0;
      if (ai == 0) {
        if (g > pg_max_old) {
          // Shrinking: a variable at its bound whose gradient points outward is unlikely to move; skip it.
          active--;
          index[s] = index[active];
          index[active] = i;
          s--;
          continue;
        } else if (g < 0) {
          pg = g;
        }
      } else {
        pg = g;
      }
      if (pg > pg_max_new) pg_max_new = pg;
      if (pg < pg_min_new) pg_min_new = pg;
      if (absd(pg) > 1e-12) {
        double next = ai - g / qd[i];
        if (next < 0) next = 0;
        alpha[i] = next;
        row_axpy((next - ai) * yi, w, indptr, ind, dat, r, cols, bias);
      }
    }
    iter++;
    if (active == 0) pg_max_new = pg_min_new = 0;  // all shrunk: nothing violates on the shrunk set
    if (pg_max_new - pg_min_new <= eps && absd(pg_max_new) <= eps && absd(pg_min_new) <= eps) {
      if (active == l) {
        status = SLICE_CONVERGED;
        break;
      }
      // Optimal on the shrunk set: bring every variable back and check once more, as liblinear does.
      active = l;
      pg_max_old = INF;
      continue;
    }
    pg_max_old = pg_max_new <= 0 ? INF : pg_max_new;
  }
  if (status == SLICE_MORE && iter >= max_iter) status = SLICE_LIMIT;
  st[0] = iter;
  st[1] = active;
  st[2] = pg_max_old;
  st[3] = rng_state;
  return status;
}

// Logistic regression, all one-vs-rest problems at once. The problems share the rows and their visiting order
// (liblinear's solve_l2r_lr_dual shuffles all l rows each pass from the same seed, with no shrinking), so they
// can walk the rows together: for each row the dot products with all the weight vectors come from one sweep of
// its entries over feature-major weights W[j * M + c] (a lane c per problem, M lanes, M even: two lanes per SIMD
// operation), and one sweep updates them. Each lane computes exactly what its problem alone would, in the same
// order, so the result is bit for bit that of m separate runs. When problems converge their lanes are dropped
// and the rest packed closer (fewer lanes, less memory to sweep), their weights written out to Wout.
// Measured on O*NET task sentences, words+chars, C = 10, 22 problems: 1.9 s against 3.9 s one at a time.
//
// y[i * M + c] is +1 / -1, row i's label in problem c; cp[c], cn[c] its costs. alpha holds 2 l M values, the
// pairs (a_ic, C_ic - a_ic) at alpha[2 (i M + c)], kept apart so neither loses precision near a bound, started
// as liblinear starts them, or, where a0 is not null, from a0[i m + c] (a warm start: another solution of the
// same problem on overlapping rows; NaN where a row has none). Where aout is not null, each problem's final
// a_ic is written to aout[i m + c]. Wout ((cols + 1) m, feature-major) is output: each problem's weights; iters and
// converged (m ints each) too: passes made by each problem, 1 where it reached eps. Scratch kept between
// slices, as are y, alpha and W ((cols + 1) M): xtx (l doubles), index (l ints), work (7 M doubles), lanes
// (3 M ints), st (3 doubles: passes made, the order generator's state, the lanes M now).
int lr_dual_ovr(int l, const int *rows, const int *indptr, const int *ind, const float *dat, int cols, int m, i8 *y,
                const double *cp, const double *cn, double bias, double eps, int max_iter, double *W, double *Wout,
                double *alpha, const double *a0, double *aout, double *xtx, int *index, double *work, int *lanes,
                int *iters, int *converged, int start, int passes, double *st) {
  const int max_inner_iter = 100;
  const double eta = 0.1;
  const double inner_eps_min = eps < 1e-8 ? eps : 1e-8;
  const int M0 = m + (m & 1);
  double *dot = work, *step = work + M0, *inner_eps = work + 2 * M0, *g_max = work + 3 * M0;
  double *cpl = work + 4 * M0, *cnl = work + 5 * M0;
  int *problem = lanes, *done = lanes + M0, *newton_iter = lanes + 2 * M0;
  int iter, M;
  if (start) {
    M = M0;
    for (int j = 0; j < (cols + 1) * M; j++) W[j] = 0;
    for (int c = 0; c < M; c++) {
      step[c] = 0;
      inner_eps[c] = 1e-2;
      problem[c] = c < m ? c : -1;
      done[c] = c >= m;  // the lane that pads an odd m runs nowhere
      cpl[c] = c < m ? cp[c] : 1;
      cnl[c] = c < m ? cn[c] : 1;
    }
    for (int c = 0; c < m; c++) converged[c] = 0;
    for (int i = 0; i < l; i++) {
      for (int c = 0; c < M; c++) {
        const int v = i * M + c;
        const double ci = y[v] > 0 ? cpl[c] : cnl[c];
        const double cold = 0.001 * ci < 1e-8 ? 0.001 * ci : 1e-8;
        double a = cold;
        if (a0 && c < m) {
          // A warm start, kept strictly inside (0, C) as the log terms need; NaN = no start for this row.
          const double from = a0[i * m + c];
          if (from == from) a = from < cold ? cold : from > ci - cold ? ci - cold : from;
        }
        alpha[2 * v] = a;
        alpha[2 * v + 1] = ci - a;
        step[c] = done[c] ? 0 : y[v] * alpha[2 * v];
      }
      xtx[i] = row_norm2(indptr, dat, rows[i], bias);
      rows_axpy(step, M, W, indptr, ind, dat, rows[i], cols, bias);
      index[i] = i;
    }
    for (int c = 0; c < M; c++) step[c] = 0;
    rng_state = ORDER_SEED;
    iter = 0;
  } else {
    iter = (int)st[0];
    rng_state = (u32)st[1];
    M = (int)st[2];
  }
  int running = 0;
  for (int c = 0; c < M; c++) running += !done[c];
  for (int slice = 0; slice < passes && running > 0 && iter < max_iter; slice++) {
    shuffle(index, l);
    for (int c = 0; c < M; c++) {
      newton_iter[c] = 0;
      g_max[c] = 0;
    }
    for (int s = 0; s < l; s++) {
      const int i = index[s], r = rows[i];
      const double a = xtx[i];
      rows_dot(W, M, indptr, ind, dat, r, cols, bias, dot);
      int moved = 0;
      for (int c = 0; c < M; c++) {
        step[c] = 0;
        if (done[c]) continue;
        const int v = i * M + c, yi = y[v];
        const double ci = yi > 0 ? cpl[c] : cnl[c];
        const double b = yi * dot[c];
        double *pair = alpha + 2 * v;
        // Minimise g(z) = z log z + (C - z) log(C - z) + a/2 (z - a_old)^2 + sign b (z - a_old) over the member
        // of the pair further from its bound, so the Newton steps stay well inside (0, C).
        int i1 = 0, i2 = 1, sign = 1;
        if (0.5 * a * (pair[1] - pair[0]) + b < 0) {
          i1 = 1;
          i2 = 0;
          sign = -1;
        }
        const double alpha_old = pair[i1];
        double z = alpha_old;
        if (ci - z < 0.5 * ci) z = 0.1 * z;
        double gp = a * (z - alpha_old) + sign * b + host_log(z / (ci - z));
        if (absd(gp) > g_max[c]) g_max[c] = absd(gp);
        int inner = 0;
        while (inner <= max_inner_iter) {
          if (absd(gp) < inner_eps[c]) break;
          const double gpp = a + ci / (ci - z) / z;
          const double tmpz = z - gp / gpp;
          z = tmpz <= 0 ? z * eta : tmpz;
          gp = a * (z - alpha_old) + sign * b + host_log(z / (ci - z));
          newton_iter[c]++;
          inner++;
        }
        if (inner > 0) {
          pair[i1] = z;
          pair[i2] = ci - z;
          step[c] = sign * (z - alpha_old) * yi;
          moved = 1;
        }
      }
      if (moved) rows_axpy(step, M, W, indptr, ind, dat, r, cols, bias);
    }
    iter++;
    for (int c = 0; c < M; c++) {
      if (done[c]) continue;
      if (g_max[c] < eps) {
        done[c] = 1;
        converged[problem[c]] = 1;
        iters[problem[c]] = iter;
        running--;
      } else if (newton_iter[c] <= l / 10) {
        inner_eps[c] = inner_eps[c] * 0.1 > inner_eps_min ? inner_eps[c] * 0.1 : inner_eps_min;
      }
    }
    const int next = running + (running & 1);
    if (running > 0 && next < M) {
      // Write out the finished lanes' weights and pack the running ones into the first `running` lanes of
      // `next`. Every array moves towards its start (lane t <= its old lane, next <= M), so in place.
      for (int c = 0; c < M; c++)
        if (done[c] && problem[c] >= 0) {
          for (int j = 0; j <= cols; j++) Wout[j * m + problem[c]] = W[j * M + c];
          if (aout)
            for (int i = 0; i < l; i++) aout[i * m + problem[c]] = alpha[2 * (i * M + c)];
        }
      int keep[M0];
      int t = 0;
      for (int c = 0; c < M; c++)
        if (!done[c]) keep[t++] = c;
      for (int j = 0; j <= cols; j++)
        for (int u = 0; u < next; u++) W[j * next + u] = u < running ? W[j * M + keep[u]] : 0;
      for (int i = 0; i < l; i++)
        for (int u = 0; u < next; u++) {
          const int to = i * next + u, from = i * M + (u < running ? keep[u] : 0);
          y[to] = u < running ? y[from] : 1;
          alpha[2 * to] = u < running ? alpha[2 * from] : 0;
          alpha[2 * to + 1] = u < running ? alpha[2 * from + 1] : 0;
        }
      for (int u = 0; u < next; u++) {
        const int c = u < running ? keep[u] : 0;
        inner_eps[u] = u < running ? inner_eps[c] : 1;
        cpl[u] = u < running ? cpl[c] : 1;
        cnl[u] = u < running ? cnl[c] : 1;
        problem[u] = u < running ? problem[c] : -1;
        done[u] = u >= running;
      }
      M = next;
    }
  }
  st[0] = iter;
  st[1] = rng_state;
  st[2] = M;
  if (running > 0 && iter < max_iter) return SLICE_MORE;
  for (int c = 0; c < M; c++) {
    if (problem[c] < 0) continue;
    for (int j = 0; j <= cols; j++) Wout[j * m + problem[c]] = W[j * M + c];
    if (aout)
      for (int i = 0; i < l; i++) aout[i * m + problem[c]] = alpha[2 * (i * M + c)];
    if (!done[c]) iters[problem[c]] = iter;
  }
  return running == 0 ? SLICE_CONVERGED : SLICE_LIMIT;
}


// SVM, all one-vs-rest problems at once (svm_dual's algorithm, lane by lane). Each pass shuffles all l rows once
// from the fixed seed, whichever problems run, and every problem visits its active rows in that order (a uniform
// order of its active set, as liblinear's shuffle of the active set is). Each problem keeps its own shrinking
// (act[i M + c] = 1 where row i is active in lane c; its count, pg_max_old), its own stopping test and
// re-activation. A row is swept when some lane has it active, and only over the lane pairs where one is: each
// lane's dot product and update are taken exactly as they would be with no other lane beside it, so a problem's
// solution does not depend on which problems run with it (the final fit's problems split between workers give
// the one-thread model bit for bit). Converged problems' lanes are dropped and the rest packed, as lr_dual_ovr does,
// once a quarter of the lanes can go (each pack and copy-out is one sweep of the weights, however many lanes).
// Shrinking is per problem, but the problems' active sets overlap: on O*NET task sentences, words+chars (4/5 of
// the rows, 22 problems) a swept row is active in 18 lanes on average at C = 0.3, 13 at C = 1, 9.4 at C = 3 and
// 6.3 (in 4.6 pairs of 11) at C = 10, so one sweep still serves several problems where most variables are shrunk.
// The gain falls with C (about 1.9x at C <= 1, 1.2-1.5x at C = 10): the sweeps then touch a few lanes of a wide
// weight row, about one cache line for each pair, where one problem alone reads a narrow vector that stays in
// cache (a pair of lanes for a single problem runs at 0.6x of svm_dual).
// Measured and left out (no gain beyond the noise, or slower): two or four partial sums per lane (one lane is
// not bound by its additions' latency here), weight rows padded to whole cache lines, solving the problems in
// groups of 4-12 lanes (smaller weights, less sharing), re-pairing lanes by the rows they share (4% fewer pairs
// swept, paid back by the moves).
//
// y[i * M + c] is +1 / -1; cp[c], cn[c] the costs. alpha (l M values) starts at 0 or, where a0 is not null, at
// a0[i m + c] where that is > 0 (a warm start; NaN or 0: no start). Where aout is not null each problem's final
// alpha goes to aout[i m + c]. Wout ((cols + 1) m, feature-major), iters and converged (m ints each) are output.
// Scratch kept between slices, as are y, alpha, act (l M bytes) and W ((cols + 1) M): xtx (l doubles), index
// (l ints), work (7 M doubles), lanes (3 M ints), st (3 doubles: passes made, the generator's state, lanes M now).
int svm_dual_ovr(int l, const int *rows, const int *indptr, const int *ind, const float *dat, int cols, int m, i8 *y,
                 const double *cp, const double *cn, double bias, double eps, int max_iter, double *W, double *Wout,
                 double *alpha, const double *a0, double *aout, i8 *act, double *xtx, int *index, double *work,
                 int *lanes, int *iters, int *converged, int start, int passes, double *st) {
  const int M0 = m + (m & 1);
  double *dot = work, *step = work + M0, *diag_p = work + 2 * M0, *diag_n = work + 3 * M0;
  double *pg_max_old = work + 4 * M0, *pg_max_new = work + 5 * M0, *pg_min_new = work + 6 * M0;
  int *problem = lanes, *done = lanes + M0, *nactive = lanes + 2 * M0;
  int iter, M;
  int po[M0 / 2 + 1], pm[M0 / 2 + 1];
  if (start) {
    M = M0;
    for (int j = 0; j < (cols + 1) * M; j++) W[j] = 0;
    for (int c = 0; c < M; c++) {
      problem[c] = c < m ? c : -1;
      done[c] = c >= m;  // the lane that pads an odd m runs nowhere
      diag_p[c] = c < m ? 0.5 / cp[c] : 0.5;
      diag_n[c] = c < m ? 0.5 / cn[c] : 0.5;
      pg_max_old[c] = INF;
      nactive[c] = c < m ? l : 0;
      step[c] = 0;
    }
    for (int c = 0; c < m; c++) converged[c] = 0;
    for (int i = 0; i < l; i++) {
      int any = 0;
      for (int c = 0; c < M; c++) {
        const int v = i * M + c;
        double a = 0;
        if (a0 && c < m) {
          const double from = a0[i * m + c];
          if (from > 0) a = from;  // NaN (no start for this row) and 0 alike
        }
        alpha[v] = a;
        act[v] = !done[c];
        step[c] = a != 0 ? y[v] * a : 0;
        any |= a != 0;
      }
      xtx[i] = row_norm2(indptr, dat, rows[i], bias);
      if (any) {
        int np = 0;
        for (int c = 0; c < M; c += 2) po[np++] = c;
        pairs_axpy(po, np, step, W, M, indptr, ind, dat, rows[i], cols, bias);
      }
      index[i] = i;
    }
    for (int c = 0; c < M; c++) step[c] = 0;
    rng_state = ORDER_SEED;
    iter = 0;
  } else {
    iter = (int)st[0];
    rng_state = (u32)st[1];
    M = (int)st[2];
  }
  int running = 0;
  for (int c = 0; c < M; c++) running += !done[c];
  for (int slice = 0; slice < passes && running > 0 && iter < max_iter; slice++) {
    shuffle(index, l);
    for (int c = 0; c < M; c++) {
      pg_max_new[c] = -INF;
      pg_min_new[c] = INF;
    }
    for (int s = 0; s < l; s++) {
      const int i = index[s];
      i8 *ac = act + i * M;
      int np = 0;
      for (int c = 0; c < M; c += 2)
        if (ac[c] | ac[c + 1]) po[np++] = c;
      if (np == 0) continue;
      const int r = rows[i];
      pairs_dot(po, np, W, M, indptr, ind, dat, r, cols, bias, dot);
      const double *ai_ = alpha + i * M;
      const i8 *yi_ = y + i * M;
      int nm = 0;
      for (int u = 0; u < np; u++) {
        int moved = 0;
        for (int c = po[u]; c < po[u] + 2; c++) {
          step[c] = 0;
          if (!ac[c]) continue;
          const int yi = yi_[c];
          const double ai = ai_[c];
          const double g = yi * dot[c] - 1 + ai * (yi > 0 ? diag_p[c] : diag_n[c]);
          double pg = 0;
          if (ai == 0) {
            if (g > pg_max_old[c]) {
              // Shrinking: a variable at its bound whose gradient points outward is unlikely to move; skip it.
              ac[c] = 0;
              nactive[c]--;
              continue;
            } else if (g < 0) {
              pg = g;
            }
          } else {
            pg = g;
          }
          if (pg > pg_max_new[c]) pg_max_new[c] = pg;
          if (pg < pg_min_new[c]) pg_min_new[c] = pg;
          if (absd(pg) > 1e-12) {
            double next = ai - g / (xtx[i] + (yi > 0 ? diag_p[c] : diag_n[c]));
            if (next < 0) next = 0;
            alpha[i * M + c] = next;
            step[c] = (next - ai) * yi;
            moved |= step[c] != 0;
          }
        }
        if (moved) pm[nm++] = po[u];
      }
      if (nm == 0) continue;
      pairs_axpy(pm, nm, step, W, M, indptr, ind, dat, r, cols, bias);
    }
    iter++;
    for (int c = 0; c < M; c++) {
      if (done[c]) continue;
      if (nactive[c] == 0) pg_max_new[c] = pg_min_new[c] = 0;  // all shrunk: nothing violates on the shrunk set
      if (pg_max_new[c] - pg_min_new[c] <= eps && absd(pg_max_new[c]) <= eps && absd(pg_min_new[c]) <= eps) {
        if (nactive[c] == l) {
          done[c] = 1;
          converged[problem[c]] = 1;
          iters[problem[c]] = iter;
          running--;
          for (int i = 0; i < l; i++) act[i * M + c] = 0;
          nactive[c] = 0;
          continue;
        }
        // Optimal on the shrunk set: bring every variable back and check once more, as liblinear does.
        for (int i = 0; i < l; i++) act[i * M + c] = 1;
        nactive[c] = l;
        pg_max_old[c] = INF;
        continue;
      }
      pg_max_old[c] = pg_max_new[c] <= 0 ? INF : pg_max_new[c];
    }
    const int next = running + (running & 1);
    // Drop finished lanes once a quarter of the lanes (and at least a pair) can go: a move sweeps all the weights,
    // and a finished lane costs little where it stays (its rows are inactive: only its pair partner sweeps it).
    if (running > 0 && next < M && 4 * (M - next) >= M) {
      // Write out the finished lanes' weights and pack the running ones into the first `running` lanes of
      // `next`, in one sweep of each array. Every array moves towards its start (lane t <= its old lane,
      // next <= M), so in place.
      int keep[M0], gone[M0];
      int t = 0, g = 0;
      for (int c = 0; c < M; c++) {
        if (!done[c]) keep[t++] = c;
        else if (problem[c] >= 0) gone[g++] = c;
      }
      for (int j = 0; j <= cols; j++) {
        for (int u = 0; u < g; u++) Wout[j * m + problem[gone[u]]] = W[j * M + gone[u]];
        for (int u = 0; u < next; u++) W[j * next + u] = u < running ? W[j * M + keep[u]] : 0;
      }
      for (int i = 0; i < l; i++) {
        if (aout)
          for (int u = 0; u < g; u++) aout[i * m + problem[gone[u]]] = alpha[i * M + gone[u]];
        for (int u = 0; u < next; u++) {
          const int to = i * next + u, from = i * M + (u < running ? keep[u] : 0);
          y[to] = u < running ? y[from] : 1;
          alpha[to] = u < running ? alpha[from] : 0;
          act[to] = u < running ? act[from] : 0;
        }
      }
      for (int u = 0; u < next; u++) {
        const int c = u < running ? keep[u] : 0;
        diag_p[u] = u < running ? diag_p[c] : 0.5;
        diag_n[u] = u < running ? diag_n[c] : 0.5;
        pg_max_old[u] = u < running ? pg_max_old[c] : INF;
        nactive[u] = u < running ? nactive[c] : 0;
        problem[u] = u < running ? problem[c] : -1;
        done[u] = u >= running;
      }
      M = next;
    }
  }
  st[0] = iter;
  st[1] = rng_state;
  st[2] = M;
  if (running > 0 && iter < max_iter) return SLICE_MORE;
  int out[M0];
  int g = 0;
  for (int c = 0; c < M; c++)
    if (problem[c] >= 0) {
      out[g++] = c;
      if (!done[c]) iters[problem[c]] = iter;
    }
  for (int j = 0; j <= cols; j++)
    for (int u = 0; u < g; u++) Wout[j * m + problem[out[u]]] = W[j * M + out[u]];
  if (aout)
    for (int i = 0; i < l; i++)
      for (int u = 0; u < g; u++) aout[i * m + problem[out[u]]] = alpha[i * M + out[u]];
  return running == 0 ? SLICE_CONVERGED : SLICE_LIMIT;
}
