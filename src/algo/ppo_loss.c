/* PPO's loss on one minibatch and its gradient (SB3 PPO.train).
 *
 * Shapes: obs (B, D) already normalised; actor output (B, K) = logits
 * (categorical) or means (gaussian, K = act_dim); critic output (B, 1).
 *
 *   adv_n  = (adv - mean) / (std_unbiased + 1e-8)      (per minibatch)
 *   ratio  = exp(log_prob - old_log_prob)
 *   policy_loss  = -mean min(adv_n ratio, adv_n clamp(ratio, 1-c, 1+c))
 *   values_pred  = v, or old_v + clamp(v - old_v, -cv, cv)
 *   value_loss   = mean (returns - values_pred)^2
 *   entropy_loss = -mean H
 *   loss = policy_loss + ent_coef entropy_loss + vf_coef value_loss
 *          [+ anchor_coef * anchor term]
 *
 * dLoss/dlog_prob_i = -adv_n ratio / B where the unclipped term is the
 * minimum, else 0; dLoss/dH_i = -ent_coef / B; the heads' backward turns
 * those into dLoss/d(actor output), the anchor's gradient is added to it,
 * and one backward pass per network follows. Scalars are reduced in double.
 *
 * The anchor (refinement) holds the policy near a frozen clone:
 *   KL: mean_i KL(clone(.|s_i) || pi(.|s_i))   (gradient p - p_clone per logit;
 *       for Gaussians the closed form of the KL of two diagonal normals)
 *   BC: mean_i -log pi(a_clone(s_i) | s_i), a_clone = argmax / mean.
 * Nothing allocates: mimic_ppo_work holds every buffer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/ppo.h"
#include "nn/layers.h"
#include "nn/heads.h"
#include "algo/ppo_loss.h"

mimic_status mimic_ppo_work_create(mimic_ppo_work *w, const mimic_model *model, int max_batch) {
  memset(w, 0, sizeof *w);
  if (max_batch < 1) return mimic_fail(MIMIC_ERR_INVALID, "ppo: batch size must be >= 1");
  size_t B = (size_t)max_batch, K = (size_t)model->cfg.act_dim;
  w->mem = mimic_calloc(2 * B * K + 9 * B, sizeof(float), "ppo loss buffers");
  if (!w->mem) return MIMIC_ERR_NOMEM;
  w->max_batch = max_batch;
  w->act_dim = (int)K;
  float *p = w->mem;
  w->logp = p, p += B * K;
  w->dout = p, p += B * K;
  w->log_prob = p, p += B;
  w->entropy = p, p += B;
  w->adv = p, p += B;
  w->ratio = p, p += B;
  w->values_pred = p, p += B;
  w->dlogprob = p, p += B;
  w->dent = p, p += B;
  w->dvalues = p, p += B;
  return MIMIC_OK;
}

void mimic_ppo_work_free(mimic_ppo_work *w) {
  free(w->mem);
  memset(w, 0, sizeof *w);
}

/* Adds the anchor's gradient to w->dout (and log_std's); returns the term. */
static double anchor_term(mimic_model *m, const mimic_ppo_batch *b, mimic_ppo_work *w, int Bt) {
  const int B = b->B, K = m->cfg.act_dim;
  const double scale = b->anchor_coef / Bt;
  double total = 0;
  if (m->cfg.head == MIMIC_HEAD_CATEGORICAL) {
    for (int i = 0; i < B; i++) {
      const float *zc = b->anchor_out + (size_t)i * K, *lp = w->logp + (size_t)i * K;
      float *d = w->dout + (size_t)i * K;
      float mx = zc[0];
      int best = 0;
      for (int j = 1; j < K; j++)
        if (zc[j] > mx) mx = zc[j], best = j;
      double s = 0;
      for (int j = 0; j < K; j++) s += exp((double)zc[j] - mx);
      double lse = mx + log(s);
      for (int j = 0; j < K; j++) {
        double lpc = zc[j] - lse, pc = exp(lpc), p = exp((double)lp[j]);
        if (b->anchor_kind == MIMIC_ANCHOR_KL) {
          total += pc * (lpc - lp[j]);
          d[j] += (float)(scale * (p - pc));
        } else {
          d[j] += (float)(scale * (p - (j == best ? 1.0 : 0.0)));
        }
      }
      if (b->anchor_kind == MIMIC_ANCHOR_BC) total -= lp[best];
    }
    return total / Bt;
  }
  /* gaussian: mean = actor output, std = exp(log_std) */
  const float *mu = m->actor.out;
  for (int j = 0; j < K; j++) {
    double ls = m->log_std[j], s2 = exp(2.0 * ls);
    double lsc = b->anchor_log_std ? b->anchor_log_std[j] : ls, sc2 = exp(2.0 * lsc);
    double dls = 0;
    for (int i = 0; i < B; i++) {
      size_t k = (size_t)i * K + (size_t)j;
      double diff = (double)b->anchor_out[k] - mu[k];
      double q = b->anchor_kind == MIMIC_ANCHOR_KL ? sc2 + diff * diff : diff * diff;
      if (b->anchor_kind == MIMIC_ANCHOR_KL)
        total += ls - lsc + q / (2.0 * s2) - 0.5;
      else
        total += diff * diff / (2.0 * s2) + ls + 0.91893853320467274178;
      w->dout[k] += (float)(scale * (-diff / s2));
      dls += 1.0 - q / s2;
    }
    m->grad_log_std[j] += (float)(scale * dls);
  }
  return total / Bt;
}

mimic_status mimic_ppo_loss(mimic_model *m, const mimic_ppo_batch *b,
                            const mimic_ppo_loss_config *c, mimic_ppo_work *w,
                            mimic_ppo_loss_result *r) {
  const int B = b->B, K = m->cfg.act_dim, Bt = b->B_total > 0 ? b->B_total : b->B;
  if (!m->cfg.critic) return mimic_fail(MIMIC_ERR_INVALID, "ppo: the model has no critic");
  if (B < 1 || B > w->max_batch || Bt < B || K != w->act_dim)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "ppo: minibatch of %d rows does not fit the loss buffers (%d)", B,
                      w->max_batch);
  const bool cat = m->cfg.head == MIMIC_HEAD_CATEGORICAL;
  if (!cat && m->cfg.head != MIMIC_HEAD_GAUSSIAN)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "ppo: a %s head cannot be a policy (categorical or gaussian)",
                      mimic_head_name(m->cfg.head));
  MIMIC_TRY(mimic_mlp_forward(&m->actor, b->obs, B));
  MIMIC_TRY(mimic_mlp_forward(&m->critic, b->obs, B));
  const float *out = m->actor.out, *values = m->critic.out;
  if (cat) {
    for (int i = 0; i < B; i++)
      if (b->acts[i] < 0 || b->acts[i] >= K)
        return mimic_fail(MIMIC_ERR_RANGE, "ppo: action %d of row %d is outside 0..%d",
                          (int)b->acts[i], i, K - 1);
    mimic_cat_log_softmax(out, B, K, w->logp);
    mimic_cat_entropy(w->logp, B, K, w->entropy);
    mimic_cat_log_prob(w->logp, b->acts, B, K, w->log_prob);
  } else {
    mimic_gauss_log_prob(out, m->log_std, b->actions, B, K, w->log_prob);
    float h = mimic_gauss_entropy(m->log_std, K);
    for (int i = 0; i < B; i++) w->entropy[i] = h;
  }
  /* advantages, normalised per minibatch */
  if (c->normalize_advantage && b->adv_norm) {
    for (int i = 0; i < B; i++)
      w->adv[i] = (float)((b->advantages[i] - b->adv_norm[0]) / (b->adv_norm[1] + 1e-8));
  } else if (c->normalize_advantage && B > 1) {
    double mean = 0, var = 0;
    for (int i = 0; i < B; i++) mean += b->advantages[i];
    mean /= B;
    for (int i = 0; i < B; i++) var += (b->advantages[i] - mean) * (b->advantages[i] - mean);
    double sd = sqrt(var / (B - 1));
    for (int i = 0; i < B; i++) w->adv[i] = (float)((b->advantages[i] - mean) / (sd + 1e-8));
  } else {
    memcpy(w->adv, b->advantages, (size_t)B * sizeof(float));
  }
  const double clip = c->clip_range;
  double pl = 0, clipped = 0, kl = 0, ent = 0, vl = 0;
  for (int i = 0; i < B; i++) {
    float log_ratio = w->log_prob[i] - b->old_log_prob[i];
    w->ratio[i] = (float)exp((double)log_ratio);
    double ratio = w->ratio[i], a = w->adv[i];
    double rc = ratio < 1.0 - clip ? 1.0 - clip : ratio > 1.0 + clip ? 1.0 + clip : ratio;
    double s1 = a * ratio, s2 = a * rc;
    pl += s1 <= s2 ? s1 : s2;
    w->dlogprob[i] = s1 <= s2 ? (float)(-a * ratio / Bt) : 0.0f;
    clipped += fabs(ratio - 1.0) > clip;
    kl += (ratio - 1.0) - (double)log_ratio;
    ent += w->entropy[i];
    w->dent[i] = (float)(-c->ent_coef / Bt);
    double v = values[i], vp = v, mask = 1.0;
    if (c->clip_range_vf > 0) {
      double dv = v - b->old_values[i], cv = c->clip_range_vf;
      vp = b->old_values[i] + (dv < -cv ? -cv : dv > cv ? cv : dv);
      mask = fabs(dv) <= cv ? 1.0 : 0.0;
    }
    w->values_pred[i] = (float)vp;
    double diff = b->returns[i] - (double)w->values_pred[i];
    vl += diff * diff;
    w->dvalues[i] =
        (float)(c->vf_coef * 2.0 * ((double)w->values_pred[i] - b->returns[i]) / Bt * mask);
  }
  r->policy_loss = -pl / Bt;
  r->value_loss = vl / Bt;
  r->entropy_loss = -ent / Bt;
  r->loss = r->policy_loss + c->ent_coef * r->entropy_loss + c->vf_coef * r->value_loss;
  r->clip_fraction = clipped / Bt;
  r->approx_kl = kl / Bt;
  r->anchor_loss = 0;
  if (cat) {
    mimic_cat_backward(w->logp, b->acts, w->dlogprob, w->dent, B, K, w->dout);
  } else {
    double dent_sum = 0;
    for (int i = 0; i < B; i++) dent_sum += w->dent[i];
    mimic_gauss_backward(out, m->log_std, b->actions, B, K, w->dlogprob, (float)dent_sum, w->dout,
                         m->grad_log_std);
  }
  if (b->anchor_out && b->anchor_kind != MIMIC_ANCHOR_NONE && b->anchor_coef > 0) {
    r->anchor_loss = anchor_term(m, b, w, Bt);
    r->loss += b->anchor_coef * r->anchor_loss;
  }
  MIMIC_TRY(mimic_mlp_backward(&m->actor, b->obs, w->dout, B, NULL));
  return mimic_mlp_backward(&m->critic, b->obs, w->dvalues, B, NULL);
}
