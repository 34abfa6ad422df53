// Fused LSTM and GRU layers: the whole sequence in one kernel forward and one kernel backward (the op contract
// is in rnn-op.ts; kernels.ts registers the WebAssembly SIMD or JavaScript kernels for wasm and cpu).
//
// FusedLSTM / FusedGRU are drop-ins for tf.layers.lstm/gru: same config (units, gate activation, dropout,
// recurrent dropout, returnSequences, goBackwards), same weights in the same order and layout, same masking
// (an Embedding with maskZero or a Masking layer in front), and the same random draws for the dropout masks, so a
// seeded run gives the numbers of the standard layer. They also go inside tf.layers.bidirectional (see
// bidirectionalLayer) and stack. On a backend without the kernels they run the same math with ordinary ops.
// Saved models name them TextbenchFusedLSTM/GRU (checkpoints); exported bundles carry the standard twins
// (recurrent-twin.ts), so plain tf.loadLayersModel reads every bundle.
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNELS, type Cell, type GateActivation } from './rnn-op.ts';
import { portableTopology } from './recurrent-twin.ts';

export { FUSED_GRU_BACKWARD, FUSED_GRU_FORWARD, FUSED_LSTM_BACKWARD, FUSED_LSTM_FORWARD, type Cell, type GateActivation } from './rnn-op.ts';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** True when the backend (default: the current one) has the fused kernels for this cell. */
export function hasFusedKernels(cell: Cell, backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(FUSED_KERNELS[cell].forward, backendName) !== undefined && tf.getKernel(FUSED_KERNELS[cell].backward, backendName) !== undefined;
}

export interface SequenceOptions {
  gate?: GateActivation;
  /** Process the sequence from its last step to its first (the backward half of a bidirectional layer). */
  goBackwards?: boolean;
  /** [B,T] float32: 0 where a step is padding. */
  mask?: tf.Tensor2D;
  /** [B,U] float32 recurrent dropout mask, multiplies h_{t-1} at every step. */
  recurrentMask?: tf.Tensor2D;
}

function attrsOf(o: SequenceOptions): tf.NamedAttrMap {
  return { gate: o.gate ?? 'hardSigmoid', goBackwards: o.goBackwards === true } as unknown as tf.NamedAttrMap;
}

/** The fused kernels through customGrad: value h [B,T,U] (by time step of x), gradients for x and the weights. */
function fusedSequence(cell: Cell, x: tf.Tensor3D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, o: SequenceOptions): tf.Tensor3D {
  const { forward, backward } = FUSED_KERNELS[cell];
  const attrs = attrsOf(o);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, k, rk, b, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const masks: tf.NamedTensorMap = {};
    if (o.mask) masks.mask = o.mask;
    if (o.recurrentMask) masks.recurrentMask = o.recurrentMask;
    const [h, state] = tf.engine().runKernel(forward, { x: xi, kernel: k, recurrentKernel: rk, bias: b, ...masks }, attrs) as [tf.Tensor3D, tf.Tensor];
    // The masks are saved too: they are not arguments (they get no gradient), and the layer's tidy would free them.
    save([xi, k, rk, h, state, ...(o.mask ? [o.mask] : []), ...(o.recurrentMask ? [o.recurrentMask] : [])]);
    return {
      value: h,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk, srk, sh, ss, ...rest] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, ...tf.Tensor[]];
        const inputs: tf.NamedTensorMap = { dh: dy, x: sx, kernel: sk, recurrentKernel: srk, h: sh, state: ss };
        if (o.mask) inputs.mask = rest.shift()!;
        if (o.recurrentMask) inputs.recurrentMask = rest.shift()!;
        return tf.engine().runKernel(backward, inputs, attrs) as tf.Tensor[];
      },
    };
  });
  return f(x, kernel, recurrentKernel, bias) as tf.Tensor3D;
}

function hardSigmoid(z: tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.add(tf.mul(z, 0.2), 0.5), 0, 1);
}

/**
 * The same sequence with ordinary tf ops, one step at a time (what tf.layers.lstm/gru run): for backends
 * without the fused kernels, and as the reference in tests. Masked steps use tfjs's own arithmetic.
 */
export function recurrentSequenceWithOps(cell: Cell, x: tf.Tensor3D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, o: SequenceOptions = {}): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T] = x.shape;
    const U = recurrentKernel.shape[0];
    const gate = o.gate === 'sigmoid' ? tf.sigmoid : hardSigmoid;
    const steps = tf.unstack(x, 1);
    const [rkZR, rkH] = cell === 'gru' ? tf.split(recurrentKernel, [2 * U, U], 1) : [recurrentKernel, recurrentKernel];
    let h: tf.Tensor = tf.zeros([B, U]);
    let c: tf.Tensor = tf.zeros([B, U]);
    const outputs = new Array<tf.Tensor>(T);
    for (let s = 0; s < T; s++) {
      const t = o.goBackwards ? T - 1 - s : s;
      const hd = o.recurrentMask ? tf.mul(h, o.recurrentMask) : h;
      let hNew: tf.Tensor;
      let cNew = c;
      if (cell === 'lstm') {
        const z = tf.add(tf.add(tf.matMul(steps[t]!, kernel), tf.matMul(hd, recurrentKernel)), bias);
        const [zi, zf, zc, zo] = tf.split(z, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        cNew = tf.add(tf.mul(gate(zf), c), tf.mul(gate(zi), tf.tanh(zc)));
        hNew = tf.mul(gate(zo), tf.tanh(cNew));
      } else {
        const [xz, xr, xh] = tf.split(tf.add(tf.matMul(steps[t]!, kernel), bias), 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const [iz, ir] = tf.split(tf.matMul(hd, rkZR!), 2, 1) as [tf.Tensor, tf.Tensor];
        const z = gate(tf.add(xz, iz));
        const r = gate(tf.add(xr, ir));
        const hh = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, hd), rkH!)));
        hNew = tf.add(tf.mul(z, hd), tf.mul(tf.sub(1, z), hh));
      }
      if (o.mask) {
        const m = tf.slice(o.mask, [0, t], [B, 1]);
        const keep = tf.sub(1, m);
        hNew = tf.add(tf.mul(hNew, m), tf.mul(h, keep));
        cNew = tf.add(tf.mul(cNew, m), tf.mul(c, keep));
      }
      h = hNew;
      c = cNew;
      outputs[t] = h;
    }
    return tf.stack(outputs, 1) as tf.Tensor3D;
  });
}

/**
 * h after every step [B,T,U] (indexed by the time step of x, also when going backwards) of an LSTM or GRU over
 * x [B,T,E] with zero initial state: the fused kernels where the current backend has them, ordinary ops elsewhere.
 * Differentiable with respect to x and the three weights.
 */
export function recurrentSequence(cell: Cell, x: tf.Tensor3D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, o: SequenceOptions = {}): tf.Tensor3D {
  return hasFusedKernels(cell) ? fusedSequence(cell, x, kernel, recurrentKernel, bias, o) : recurrentSequenceWithOps(cell, x, kernel, recurrentKernel, bias, o);
}

/**
 * Dropout masks drawn exactly as tfjs-layers' LSTMCell/GRUCell draw them (generateDropoutMask): `count` masks of
 * ones through dropout, of which the cells use only the first. Drawing the same number in the same order keeps
 * the random stream, and so a seeded run, identical to the standard layer's.
 */
function cellDropoutMask(shape: [number, number], rate: number, count: number, training: boolean): tf.Tensor2D | undefined {
  if (!(rate > 0 && rate < 1) || !training) return undefined;
  let first: tf.Tensor2D | undefined;
  for (let i = 0; i < count; i++) {
    const m = tf.dropout(tf.ones(shape), rate) as tf.Tensor2D;
    if (i === 0) first = m;
    else m.dispose();
  }
  return first;
}

/** tfjs's mask handling: any non-zero is a real step. Accepts bool or numeric masks, and [B,T] or [B,T,1]. */
function floatMask(mask: tf.Tensor, B: number, T: number): tf.Tensor2D {
  // Not tf.cast(bool, 'float32'): on the webgpu backend that cast keeps the bool's integer buffer under a float32
  // dtype, so a custom kernel reading it as f32 sees 1 as a denormal, i.e. every step masked (measured: all four zoo
  // models gave exactly ln 2 on the GPU once the embeddings masked padding). tf.where writes real floats everywhere.
  const on = tf.cast(mask, 'bool');
  return tf.reshape(tf.where(on, tf.ones(on.shape, 'float32'), tf.zeros(on.shape, 'float32')), [B, T]);
}

type SerializedInitializer = { className: string; config: tf.serialization.ConfigDict };

function initializerFrom(value: unknown, fallback: () => Initializer): Initializer {
  if (value === undefined || value === null) return fallback();
  if (value instanceof tf.serialization.Serializable) return value as Initializer;
  if (typeof value === 'string') {
    const make = (tf.initializers as unknown as Record<string, ((c: object) => Initializer) | undefined>)[value];
    if (!make) throw new Error(`Unknown initializer "${value}".`);
    return make({});
  }
  const { className, config } = value as SerializedInitializer;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new Error(`Unknown initializer class "${className}".`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config ?? {}) as Initializer;
}

function serializeInitializer(init: Initializer): SerializedInitializer {
  return { className: init.getClassName(), config: init.getConfig() };
}

export interface FusedRnnArgs {
  units: number;
  /**
   * Input dropout rate, as tf.layers.lstm/gru apply it: one mask per example over the input features, the same
   * at every time step (tfjs uses its first mask for all gates), during training.
   */
  dropout?: number;
  /** Recurrent dropout rate: one mask per example over h_{t-1}, the same at every time step, during training. */
  recurrentDropout?: number;
  /** Return h after every step [B,T,U] instead of only the last [B,U]. */
  returnSequences?: boolean;
  /** Read the sequence from its end (with returnSequences, the outputs come in that processing order, as tfjs). */
  goBackwards?: boolean;
  /** Gate activation; tf.layers.lstm/gru default to hardSigmoid. */
  recurrentActivation?: GateActivation;
  kernelInitializer?: Initializer | SerializedInitializer | string;
  recurrentInitializer?: Initializer | SerializedInitializer | string;
  biasInitializer?: Initializer | SerializedInitializer | string;
  name?: string;
  inputShape?: number[];
}

/** Shared by FusedLSTM and FusedGRU; see the top of this file. */
abstract class FusedRecurrent extends tf.layers.Layer {
  readonly units: number;
  readonly recurrentActivation: GateActivation;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  protected abstract readonly cell: Cell;
  protected abstract readonly gateCount: number;
  private readonly inits: { kernel: Initializer; recurrent: Initializer; bias: Initializer };
  private kernel?: tf.LayerVariable;
  private recurrentKernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: FusedRnnArgs) {
    // The whole args: when tfjs deserializes a saved model it passes trainable, dtype, batchInputShape…
    super(args as ConstructorParameters<typeof tf.layers.Layer>[0]);
    const rate = (r: number | undefined): number => Math.min(1, Math.max(0, r ?? 0));
    this.units = args.units;
    this.recurrentActivation = args.recurrentActivation === 'sigmoid' ? 'sigmoid' : 'hardSigmoid';
    this.dropout = rate(args.dropout);
    this.recurrentDropout = rate(args.recurrentDropout);
    this.returnSequences = args.returnSequences === true;
    this.goBackwards = args.goBackwards === true;
    this.supportsMasking = true;
    // The standard layers' defaults.
    this.inits = {
      kernel: initializerFrom(args.kernelInitializer, () => tf.initializers.glorotNormal({})),
      recurrent: initializerFrom(args.recurrentInitializer, () => tf.initializers.orthogonal({})),
      bias: initializerFrom(args.biasInitializer, () => tf.initializers.zeros()),
    };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1]!;
    const k = this.gateCount * this.units;
    this.kernel = this.addWeight('kernel', [features, k], 'float32', this.inits.kernel);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, k], 'float32', this.inits.recurrent);
    this.bias = this.addWeight('bias', [k], 'float32', this.inits.bias);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return this.returnSequences ? [shape[0]!, shape[1]!, this.units] : [shape[0]!, this.units];
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const m = Array.isArray(mask) ? mask[0] : mask;
    // null, as tfjs-layers' RNN returns it: a last-step output has no time axis left to mask.
    return (this.returnSequences ? m ?? null : null) as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> = {}): tf.Tensor {
    return tf.tidy(() => {
      let x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [B, T, E] = x.shape;
      const training = kwargs.training === true;
      // Input mask first, then the recurrent one: the order in which tfjs's cells draw them.
      const inputMask = cellDropoutMask([B, E], this.dropout, this.gateCount, training);
      const recurrentMask = cellDropoutMask([B, this.units], this.recurrentDropout, this.gateCount, training);
      if (inputMask) x = tf.mul(x, tf.expandDims(inputMask, 1)) as tf.Tensor3D;
      const rawMask = Array.isArray(kwargs.mask) ? (kwargs.mask[0] as tf.Tensor | undefined) : (kwargs.mask as tf.Tensor | undefined);
      const options: SequenceOptions = {
        gate: this.recurrentActivation,
        goBackwards: this.goBackwards,
        ...(rawMask ? { mask: floatMask(rawMask, B, T) } : {}),
        ...(recurrentMask ? { recurrentMask } : {}),
      };
      const k = this.kernel!.read() as tf.Tensor2D;
      const rk = this.recurrentKernel!.read() as tf.Tensor2D;
      const b = this.bias!.read() as tf.Tensor1D;
      const h = recurrentSequence(this.cell, x, k, rk, b, options);
      if (this.returnSequences) return this.goBackwards ? tf.reverse(h, 1) : h;
      // The last processed step; with a mask it carries the state of the last real step.
      return tf.reshape(tf.slice(h, [0, this.goBackwards ? 0 : T - 1, 0], [B, 1, this.units]), [B, this.units]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      recurrentActivation: this.recurrentActivation,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      kernelInitializer: serializeInitializer(this.inits.kernel),
      recurrentInitializer: serializeInitializer(this.inits.recurrent),
      biasInitializer: serializeInitializer(this.inits.bias),
    } as tf.serialization.ConfigDict;
  }
}

/** A drop-in for tf.layers.lstm running the fused LSTM kernels; see the top of this file. */
export class FusedLSTM extends FusedRecurrent {
  static readonly className = 'TextbenchFusedLSTM';
  protected readonly cell = 'lstm';
  protected readonly gateCount = 4;
}
tf.serialization.registerClass(FusedLSTM);

/** A drop-in for tf.layers.gru running the fused GRU kernels; see the top of this file. */
export class FusedGRU extends FusedRecurrent {
  static readonly className = 'TextbenchFusedGRU';
  protected readonly cell = 'gru';
  protected readonly gateCount = 3;
}
tf.serialization.registerClass(FusedGRU);

export type RecurrentLayerArgs = FusedRnnArgs;

/**
 * tf.layers.lstm/gru(args), as the fused layer wherever the current backend has the fused kernels (every
 * configuration the arguments allow), and as the standard layer elsewhere. Same weights and numbers either way.
 */
export function recurrentLayer(kind: Cell, args: RecurrentLayerArgs): tf.layers.Layer {
  if (hasFusedKernels(kind)) return kind === 'lstm' ? new FusedLSTM(args) : new FusedGRU(args);
  return tf.layers[kind](args as Parameters<(typeof tf.layers)['lstm']>[0]);
}

/**
 * tf.layers.bidirectional around recurrentLayer(kind, layer): both directions on the fused kernels where the
 * backend has them. The wrapper is the standard one, so the saved topology is Bidirectional(LSTM/GRU) once the
 * fused layers are written as their twins.
 */
export function bidirectionalLayer(
  kind: Cell,
  layer: RecurrentLayerArgs,
  wrapper: { name?: string; mergeMode?: 'sum' | 'mul' | 'concat' | 'ave' } = {},
): tf.layers.Layer {
  return tf.layers.bidirectional({ ...wrapper, layer: recurrentLayer(kind, layer) as tf.RNN });
}

/**
 * The same model with every FusedLSTM/FusedGRU replaced by tf.layers.lstm/gru and the same weights, so that a
 * saved model.json loads in plain TensorFlow.js (which does not know the fused classes).
 */
export async function withStandardRecurrentLayers(model: tf.LayersModel): Promise<tf.LayersModel> {
  const json = model.toJSON(null, false) as unknown as tf.io.ModelJSON['modelTopology'];
  const portable = portableTopology(json);
  if (JSON.stringify(portable) === JSON.stringify(json)) return model;
  const standard = await tf.models.modelFromJSON({ modelTopology: portable });
  standard.setWeights(model.getWeights());
  return standard;
}
