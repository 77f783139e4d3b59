/* Generalised advantage estimation, SB3's way, in float32.
 *
 * SB3 computes advantages backwards over a (T, N) rollout; the value after
 * the last step is V(obs_T), masked by whether the last step ended its
 * episode, and every earlier step looks at the next row's episode_starts.
 * An episode cut by the time limit has already had gamma * V(final obs)
 * added to its last reward (mimic_gae_bootstrap), so the mask treats
 * truncation and termination alike.
 *
 * The evaluation order is fixed and documented in the header: with
 * -ffp-contract=off (the build's flag) it reproduces a pure-float32
 * reference bit for bit, whatever the CPU. */
#include "mimic/ppo.h"
#include "algo/ppo_loss.h"

void mimic_gae_bootstrap(float *rewards, const float *terminal_values, const uint8_t *terminated,
                         const uint8_t *truncated, size_t n, double gamma) {
  const float g = (float)gamma;
  for (size_t i = 0; i < n; i++)
    if (truncated[i] && !terminated[i]) rewards[i] = rewards[i] + g * terminal_values[i];
}

void mimic_gae(const float *rewards, const float *values, const uint8_t *episode_starts,
               const float *last_values, const uint8_t *last_dones, int T, int N, double gamma,
               double gae_lambda, float *advantages, float *returns) {
  const float g = (float)gamma, gl = (float)(gamma * gae_lambda);
  for (int n = 0; n < N; n++) {
    float A = 0.0f;
    for (int t = T - 1; t >= 0; t--) {
      size_t i = (size_t)t * (size_t)N + (size_t)n;
      float nnt, nv;
      if (t == T - 1) {
        nnt = last_dones[n] ? 0.0f : 1.0f;
        nv = last_values[n];
      } else {
        nnt = episode_starts[i + (size_t)N] ? 0.0f : 1.0f;
        nv = values[i + (size_t)N];
      }
      float delta = ((rewards[i] + (g * nv) * nnt) - values[i]);
      A = delta + (gl * nnt) * A;
      advantages[i] = A;
      returns[i] = A + values[i];
    }
  }
}
