// The fused recurrent op: one kernel runs a whole LSTM or GRU sequence forward, one runs its backward.
// Every backend that registers these kernel names must follow this contract (the JS and WebAssembly kernels
// here for wasm and cpu; compute/webgpu/ for webgpu); fused-rnn.ts calls them and falls back to ordinary ops
// where a backend has none.
//
// TextbenchFusedLstm | TextbenchFusedGru (forward)
//   inputs  x               [B,T,E] float32   the input sequence
//           kernel          [E,kU]            k = 4 for the LSTM (gates i, f, c, o), 3 for the GRU (z, r, h~):
//           recurrentKernel [U,kU]            the weights of tf.layers.lstm/gru, in their layout
//           bias            [kU]
//           mask?           [B,T] float32     0 = padded step, anything else = a real step (Keras/tfjs masking)
//           recurrentMask?  [B,U] float32     recurrent dropout: multiplies h_{t-1} (0 or 1/(1-rate)), same at all steps
//   attrs   gate: 'hardSigmoid' | 'sigmoid'   the gate activation (tf.layers default: hardSigmoid)
//           goBackwards: boolean              process t = T-1 … 0 instead of 0 … T-1
//   outputs h     [B,T,U] float32   the hidden state after each step, indexed by the time step of x (also when
//                                   goBackwards: the caller reverses it when it wants processing order, as tfjs does)
//           state                   opaque: whatever this backend's backward needs; consumed only by the same
//                                   backend's backward kernel (JS kernels: [B,T,6U] LSTM i,f,g,o,c,tanh(c) or
//                                   [B,T,3U] GRU z,r,h~; wasm kernels: an int32 [1] handle to their own memory)
// TextbenchFusedLstmGrad | TextbenchFusedGruGrad (backward)
//   inputs  dh [B,T,U] (gradient of the loss with respect to h), x, kernel, recurrentKernel, mask?, recurrentMask?,
//           h, state (the forward's outputs)
//   attrs   as the forward
//   outputs dx [B,T,E], dKernel [E,kU], dRecurrentKernel [U,kU], dBias [kU]
//
// Semantics (those of tf.layers.lstm/gru with returnSequences, masking and recurrent dropout, so that the
// standard layer with the same weights gives the same numbers):
//   h_prev (and c_prev) start at zero before the first processed step.
//   hd = h_prev ⊙ recurrentMask (h_prev without recurrent dropout).
//   LSTM, real step: z = x_t·W + hd·U + b; i, f, o = gate(z_i, z_f, z_o); g = tanh(z_c); c = f⊙c_prev + i⊙g;
//     h = o⊙tanh(c).
//   GRU, real step (tfjs GRUCell, reset before the recurrent product, hd used throughout as tfjs does):
//     z = gate(x_t·W_z + b_z + hd·U_z); r = gate(x_t·W_r + b_r + hd·U_r); h~ = tanh(x_t·W_h + b_h + (r⊙hd)·U_h);
//     h = z⊙hd + (1−z)⊙h~.
//   Padded step (mask 0): h and c keep the previous step's values (tfjs outputs the carried state there), and no
//     gradient reaches the weights from it.
//   hardSigmoid(a) = clip(0.2a + 0.5, 0, 1), with derivative 0.2 strictly inside (0, 1) and 0 where clipped.
import type * as tf from '@tensorflow/tfjs';

export const FUSED_LSTM_FORWARD = 'TextbenchFusedLstm';
export const FUSED_LSTM_BACKWARD = 'TextbenchFusedLstmGrad';
export const FUSED_GRU_FORWARD = 'TextbenchFusedGru';
export const FUSED_GRU_BACKWARD = 'TextbenchFusedGruGrad';

export type Cell = 'lstm' | 'gru';
export type GateActivation = 'hardSigmoid' | 'sigmoid';

export const FUSED_KERNELS: Record<Cell, { forward: string; backward: string; gates: number }> = {
  lstm: { forward: FUSED_LSTM_FORWARD, backward: FUSED_LSTM_BACKWARD, gates: 4 },
  gru: { forward: FUSED_GRU_FORWARD, backward: FUSED_GRU_BACKWARD, gates: 3 },
};

export interface RnnAttrs {
  gate: GateActivation;
  goBackwards: boolean;
}

/** The forward kernel's inputs, as named in the contract above. */
export interface RnnForwardInputs {
  x: tf.TensorInfo;
  kernel: tf.TensorInfo;
  recurrentKernel: tf.TensorInfo;
  bias: tf.TensorInfo;
  mask?: tf.TensorInfo;
  recurrentMask?: tf.TensorInfo;
}

/** The backward kernel's inputs, as named in the contract above. */
export interface RnnBackwardInputs {
  dh: tf.TensorInfo;
  x: tf.TensorInfo;
  kernel: tf.TensorInfo;
  recurrentKernel: tf.TensorInfo;
  mask?: tf.TensorInfo;
  recurrentMask?: tf.TensorInfo;
  h: tf.TensorInfo;
  state: tf.TensorInfo;
}

/** Sizes of one call: batch, time steps, input features, units. */
export interface RnnDims {
  B: number;
  T: number;
  E: number;
  U: number;
}

export function rnnDims(x: tf.TensorInfo, recurrentKernel: tf.TensorInfo): RnnDims {
  const [B, T, E] = x.shape as [number, number, number];
  return { B, T, E, U: recurrentKernel.shape[0]! };
}
