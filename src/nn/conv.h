/* Conv2d (NCHW, square kernel, stride, zero padding; PyTorch's nn.Conv2d
 * with dilation 1 and groups 1) as im2col + an sgemm per image, strides
 * that divide the kernel as a stride-1 convolution over a space-to-depth
 * input (conv.c). Internal to mimic (not installed); layers.h's
 * conventions hold: parameter gradients are added to, dx is overwritten,
 * nothing allocates.
 *
 * The caller owns two scratch buffers per layer, both
 * mimic_conv2d_scratch() floats: `col`, the unfolded input (N blocks of
 * C*k*k rows by Ho*Wo columns) that forward writes and backward reads
 * again, and `tmp`, working space of either pass. */
#ifndef MIMIC_NN_CONV_H
#define MIMIC_NN_CONV_H

#include <stddef.h>

/* One conv2d layer's shape: input (N, C, H, W), weight (O, C, k, k), bias
 * (O), output (N, O, Ho, Wo). */
typedef struct mimic_conv2d_shape {
  int N, C, H, W; /* input */
  int O, k, stride, pad;
  int Ho, Wo; /* filled by mimic_conv2d_shape_init */
  int direct; /* 1: never the space-to-depth path (tests compare the two) */
} mimic_conv2d_shape;

/* Fills Ho and Wo (floor((H + 2 pad - k) / stride) + 1); returns 0, or -1
 * when the kernel does not fit the padded input or a size is not positive. */
int mimic_conv2d_shape_init(mimic_conv2d_shape *s);
/* Floats each of the two scratch buffers needs: max(C*k*k, O) * N*Ho*Wo +
 * C*H*W. */
size_t mimic_conv2d_scratch(const mimic_conv2d_shape *s);
/* 1 when the layer runs as a stride-1 convolution over s x s blocks
 * (stride s > 1 divides k, no padding, direct == 0), else 0. */
int mimic_conv2d_space_to_depth(const mimic_conv2d_shape *s);
/* out (N,O,Ho,Wo) = conv(inp (N,C,H,W), W (O,C,k,k)) + b (O); b may be NULL.
 * Leaves the unfolded input in col for the backward pass. */
void mimic_conv2d_forward(float *out, float *col, float *tmp, const float *inp, const float *W,
                          const float *b, const mimic_conv2d_shape *s);
/* Backward of mimic_conv2d_forward, with col as forward left it (and left
 * so). dW (O,C,k,k) and db (O) are added to
 * (either may be NULL); dinp (N,C,H,W) is overwritten (NULL skips it, and
 * its sgemm). dout is (N,O,Ho,Wo). */
void mimic_conv2d_backward(float *dinp, float *dW, float *db, float *col, float *tmp,
                           const float *dout, const float *W, const mimic_conv2d_shape *s);

#endif
