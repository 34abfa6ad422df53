// The fused recurrent layers (fused-rnn.ts) and their standard TensorFlow.js twins: tf.layers.lstm/gru with the
// same config and weights compute the same numbers. Exported bundles carry the twins, so that plain
// tf.loadLayersModel reads them anywhere (a browser included); a loader that has the fused kernels can swap the
// twins back (fusedTopology) to classify at the fused kernels' speed. Pure JSON: no TensorFlow.js import.

/** Our layer class name → the standard tfjs class with the same weights. */
export const FUSED_TWINS: Readonly<Record<string, 'LSTM' | 'GRU'>> = { TextbenchFusedLSTM: 'LSTM', TextbenchFusedGRU: 'GRU' };

type LayerConfig = Record<string, unknown>;
interface LayerJson {
  class_name: string;
  config: LayerConfig;
}

const INITIALIZERS = ['kernel_initializer', 'recurrent_initializer', 'bias_initializer'] as const;

/**
 * The standard layer's config (pythonic keys, as in model.json) for one of ours. Accepts configs written by every
 * version of the fused layers (older checkpoints lack return_sequences, go_backwards, recurrent_dropout and the
 * initializers, which then take the values those versions had).
 */
export function standardRecurrentTwin(className: string, c: LayerConfig): LayerJson | undefined {
  const twin = FUSED_TWINS[className];
  if (!twin) return undefined;
  const config: LayerConfig = {
    name: c.name,
    trainable: c.trainable ?? true,
    ...(c.batch_input_shape !== undefined ? { batch_input_shape: c.batch_input_shape } : {}),
    ...(c.dtype !== undefined ? { dtype: c.dtype } : {}),
    units: c.units,
    activation: 'tanh',
    recurrent_activation: c.recurrent_activation === 'sigmoid' ? 'sigmoid' : 'hard_sigmoid',
    use_bias: true,
    dropout: c.dropout ?? 0,
    recurrent_dropout: c.recurrent_dropout ?? 0,
    return_sequences: c.return_sequences ?? false,
    return_state: false,
    go_backwards: c.go_backwards ?? false,
    stateful: false,
    unroll: false,
  };
  for (const key of INITIALIZERS) if (c[key] !== undefined) config[key] = c[key];
  return { class_name: twin, config };
}

/**
 * The fused layer's config for a standard LSTM/GRU, or undefined when the standard layer uses something the fused
 * one does not compute: another activation, no bias, returned states, stateful, unit forget bias, reset-after,
 * regularizers or constraints.
 */
export function fusedRecurrentTwin(className: string, c: LayerConfig): LayerJson | undefined {
  const fused = Object.entries(FUSED_TWINS).find(([, standard]) => standard === className)?.[0];
  if (!fused) return undefined;
  const gate = c.recurrent_activation ?? 'hard_sigmoid';
  if ((c.activation ?? 'tanh') !== 'tanh' || (gate !== 'hard_sigmoid' && gate !== 'sigmoid')) return undefined;
  if (c.use_bias === false || c.return_state === true || c.stateful === true || c.unit_forget_bias === true) return undefined;
  if (className === 'GRU' && c.reset_after === true) return undefined;
  for (const key of ['kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'recurrent_constraint', 'bias_constraint']) {
    if (c[key] !== undefined && c[key] !== null) return undefined;
  }
  const config: LayerConfig = {
    name: c.name,
    trainable: c.trainable ?? true,
    ...(c.batch_input_shape !== undefined ? { batch_input_shape: c.batch_input_shape } : {}),
    ...(c.dtype !== undefined ? { dtype: c.dtype } : {}),
    units: c.units,
    recurrent_activation: gate === 'sigmoid' ? 'sigmoid' : 'hardSigmoid',
    dropout: c.dropout ?? 0,
    recurrent_dropout: c.recurrent_dropout ?? 0,
    return_sequences: c.return_sequences ?? false,
    go_backwards: c.go_backwards ?? false,
  };
  for (const key of INITIALIZERS) if (c[key] !== undefined) config[key] = c[key];
  return { class_name: fused, config };
}

/** Rewrites every layer (at any depth: Bidirectional wrappers included) that `swap` knows; weights are untouched. */
function rewriteLayers<T>(topology: T, swap: (className: string, config: LayerConfig) => LayerJson | undefined): T {
  if (Array.isArray(topology)) return topology.map((x) => rewriteLayers(x, swap)) as T;
  if (typeof topology !== 'object' || topology === null) return topology;
  const o = topology as Record<string, unknown>;
  if (typeof o.class_name === 'string' && typeof o.config === 'object' && o.config !== null) {
    const swapped = swap(o.class_name, o.config as LayerConfig);
    if (swapped) return { ...o, ...swapped } as T;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = rewriteLayers(v, swap);
  return out as T;
}

/**
 * The topology with every fused layer replaced by its standard twin, so that model.json loads with plain
 * tf.loadLayersModel anywhere. Weight names and shapes are unchanged.
 */
export function portableTopology<T>(topology: T): T {
  return rewriteLayers(topology, standardRecurrentTwin);
}

/** The topology with every standard LSTM/GRU that the fused layers compute exactly replaced by the fused layer. */
export function fusedTopology<T>(topology: T): T {
  return rewriteLayers(topology, fusedRecurrentTwin);
}
