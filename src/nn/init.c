/* Initialisers: PyTorch's nn.Linear default and SB3's orthogonal init.
 *
 * PyTorch: kaiming_uniform_(a = sqrt(5)) on W gives bound
 * gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + 5)), i.e.
 * 1 / sqrt(fan_in); the bias uses the same bound. Draws come from
 * mimic_rng_uniform (double, then rounded to float), W row-major then b,
 * layer by layer, so a seed fixes every bit.
 *
 * Orthogonal (torch.nn.init.orthogonal_): a (rows, cols) standard-normal
 * matrix, transposed when rows < cols so it is tall, factored A = QR with
 * diag(R) made positive, Q transposed back, times gain. We factor with
 * modified Gram-Schmidt, run twice for orthogonality to rounding, in double:
 * Gram-Schmidt gives directly the QR whose R has a positive diagonal, which
 * is the sign convention orthogonal_ enforces. The normal draws are
 * mimic_rng_normal's, so values differ from torch's (only the distribution
 * matches). Init is not a hot path, so it may allocate. */
#include "mimic/nn.h"
#include "nn/layers.h"

#include <math.h>
#include <stdlib.h>

void mimic_mlp_init_torch(mimic_mlp *m, mimic_rng *rng) {
  for (int l = 0; l < m->n_layers; l++) {
    int in = m->sizes[l], out = m->sizes[l + 1];
    double bound = 1.0 / sqrt((double)in);
    float *W = mimic_mlp_W(m, l), *b = mimic_mlp_b(m, l);
    for (size_t i = 0; i < (size_t)out * in; i++)
      W[i] = (float)mimic_rng_uniform(rng, -bound, bound);
    for (int o = 0; o < out; o++) b[o] = (float)mimic_rng_uniform(rng, -bound, bound);
  }
}

/* Orthonormalises the c columns of the tall (r, c) row-major matrix A in
 * place (r >= c). Fails on a (numerically) rank-deficient A. */
static mimic_status gram_schmidt(double *A, int r, int c) {
  for (int j = 0; j < c; j++) {
    for (int pass = 0; pass < 2; pass++) {
      for (int k = 0; k < j; k++) {
        double dot = 0;
        for (int i = 0; i < r; i++) dot += A[(size_t)i * c + k] * A[(size_t)i * c + j];
        for (int i = 0; i < r; i++) A[(size_t)i * c + j] -= dot * A[(size_t)i * c + k];
      }
    }
    double norm = 0;
    for (int i = 0; i < r; i++) norm += A[(size_t)i * c + j] * A[(size_t)i * c + j];
    norm = sqrt(norm);
    if (!(norm > 1e-12))
      return mimic_fail(MIMIC_ERR_INVALID, "orthogonal init: random matrix is rank deficient");
    for (int i = 0; i < r; i++) A[(size_t)i * c + j] /= norm;
  }
  return MIMIC_OK;
}

mimic_status mimic_init_orthogonal(float *W, int rows, int cols, float gain, mimic_rng *rng) {
  if (rows < 1 || cols < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "orthogonal init: bad shape (%d, %d)", rows, cols);
  size_t n = (size_t)rows * cols;
  double *A = mimic_calloc(n, sizeof *A, "orthogonal init matrix");
  if (!A) return MIMIC_ERR_NOMEM;
  bool wide = rows < cols;
  int r = wide ? cols : rows, c = wide ? rows : cols; // A is (r, c), tall
  // draw the (rows, cols) normal matrix row-major; store it transposed when wide
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) {
      double z = mimic_rng_normal(rng);
      if (wide)
        A[(size_t)j * c + i] = z;
      else
        A[(size_t)i * c + j] = z;
    }
  mimic_status st = gram_schmidt(A, r, c);
  if (st == MIMIC_OK)
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < cols; j++)
        W[(size_t)i * cols + j] =
            (float)(gain * (wide ? A[(size_t)j * c + i] : A[(size_t)i * c + j]));
  free(A);
  return st;
}

mimic_status mimic_mlp_init_orthogonal(mimic_mlp *m, mimic_rng *rng, float hidden_gain,
                                       float out_gain) {
  for (int l = 0; l < m->n_layers; l++) {
    int in = m->sizes[l], out = m->sizes[l + 1];
    float gain = l == m->n_layers - 1 ? out_gain : hidden_gain;
    MIMIC_TRY(mimic_init_orthogonal(mimic_mlp_W(m, l), out, in, gain, rng));
    float *b = mimic_mlp_b(m, l);
    for (int o = 0; o < out; o++) b[o] = 0.0f;
  }
  return MIMIC_OK;
}
