import * as tf from '@tensorflow/tfjs-core';
import type { Initializer } from '../../shared/arch/types';
import { convFans, sampleInitializer } from './initializers';
import { Rng, deriveSeed } from './random';
import { readTensors } from './read';

/** A named float32 array: the form weights take in checkpoints and across process boundaries. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Owns a model's variables. Trainable ones are the conv kernels, biases and BN gamma/beta;
 * BN moving statistics are kept apart, as Keras keeps its non-trainable weights.
 * Every initial value comes from a stream seeded by (seed, variable name), so a design's weights
 * are the same on every backend and do not shift when an unrelated node is added.
 */
export class ParamStore {
  private static instances = 0;
  /** Trainable variables by their stable name (e.g. `e0/block3/conv1/kernel`). */
  readonly trainable = new Map<string, tf.Variable>();
  readonly moving = new Map<string, tf.Variable>();
  /**
   * tfjs needs variable names unique per process; two models (or a model built twice) would clash,
   * so the engine names carry a per-store prefix and everything else uses the stable names.
   */
  private readonly prefix = `m${++ParamStore.instances}:`;

  constructor(private readonly seed: number) {}

  /** A conv kernel [k, k, in, out] (or [k, k, out, in] when transposed, as Keras stores it). */
  convKernel(name: string, k: number, cin: number, cout: number, init: Initializer, transposed = false): tf.Variable {
    const { fanIn, fanOut } = convFans(k, k, cin, cout, transposed);
    const shape = transposed ? [k, k, cout, cin] : [k, k, cin, cout];
    const size = k * k * cin * cout;
    return this.add(name, shape, () => sampleInitializer(init, size, fanIn, fanOut, new Rng(deriveSeed(this.seed, name))));
  }

  /** A dense kernel [in, out], as Keras stores it (fan in `cin`, fan out `cout`). */
  denseKernel(name: string, cin: number, cout: number, init: Initializer): tf.Variable {
    return this.add(name, [cin, cout], () => sampleInitializer(init, cin * cout, cin, cout, new Rng(deriveSeed(this.seed, name))));
  }

  /** A trainable vector filled with one value (bias 0, gamma 1, beta 0). */
  vector(name: string, n: number, value: number): tf.Variable {
    return this.add(name, [n], () => new Float32Array(n).fill(value));
  }

  /** A non-trainable vector (BN moving mean/variance). */
  movingVector(name: string, n: number, value: number): tf.Variable {
    const existing = this.moving.get(name);
    if (existing) return existing;
    const v = tf.variable(tf.tensor1d(new Float32Array(n).fill(value)), false, this.prefix + name);
    this.moving.set(name, v);
    return v;
  }

  private add(name: string, shape: number[], values: () => Float32Array): tf.Variable {
    const existing = this.trainable.get(name);
    if (existing) return existing;
    const v = tf.variable(tf.tensor(values(), shape, 'float32'), true, this.prefix + name);
    this.trainable.set(name, v);
    return v;
  }

  /** Every variable's current value, trainable first, in creation order (all in one read). */
  async read(): Promise<NamedArray[]> {
    const vars = [...this.trainable, ...this.moving];
    const data = await readTensors(vars.map(([, v]) => v));
    return vars.map(([name, v], i) => ({ name, shape: v.shape.slice(), data: data[i] as Float32Array }));
  }

  /** Restores values by name; every variable must be present with the same shape. */
  write(arrays: NamedArray[]): void {
    const byName = new Map(arrays.map((a) => [a.name, a]));
    for (const map of [this.trainable, this.moving]) {
      for (const [name, v] of map) {
        const a = byName.get(name);
        if (!a) throw new Error(`checkpoint has no value for weight '${name}'`);
        if (a.shape.join('x') !== v.shape.join('x')) {
          throw new Error(`checkpoint weight '${name}' has shape ${a.shape.join('x')}, the model needs ${v.shape.join('x')}`);
        }
        tf.tidy(() => v.assign(tf.tensor(a.data, a.shape, 'float32')));
      }
    }
  }

  get trainableList(): tf.Variable[] {
    return [...this.trainable.values()];
  }

  /** Gradients keyed by engine variable name (as tf.variableGrads returns them), re-keyed by stable name. */
  byStableName<T>(byEngineName: Record<string, T>): Map<string, T> {
    const out = new Map<string, T>();
    for (const [name, v] of this.trainable) {
      const g = byEngineName[v.name];
      if (g !== undefined) out.set(name, g);
    }
    return out;
  }

  dispose(): void {
    for (const map of [this.trainable, this.moving]) {
      for (const v of map.values()) v.dispose();
      map.clear();
    }
  }
}
