import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSettings } from '../../shared/runs/types';
import type { NamedArray } from './params';
import { readTensors } from './read';

type OptimizerConfig = OptimizerSettings;

/**
 * An optimizer whose state can be saved and restored exactly, so a resumed run continues
 * where it stopped. Written here rather than taken from tfjs-core because the learning rate
 * must change between steps (schedules) and the state must be readable by name.
 */
export interface Optimizer {
  readonly config: OptimizerConfig;
  learningRate: number;
  iterations: number;
  /** Applies one update to `vars` (by stable name) from `grads` (by the same names). */
  apply(vars: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void;
  /** The slots' current values, by name, in one read. */
  readState(): Promise<NamedArray[]>;
  writeState(state: NamedArray[], iterations: number): void;
  dispose(): void;
}

/** Makes an optimizer from its configuration. */
export function makeOptimizer(config: OptimizerConfig): Optimizer {
  return config.name === 'sgd' ? new MomentumSgd(config) : new Adam(config);
}

abstract class SlotOptimizer implements Optimizer {
  learningRate: number;
  iterations = 0;
  protected readonly slots = new Map<string, tf.Variable>();

  constructor(readonly config: OptimizerConfig) {
    this.learningRate = config.lr;
  }

  abstract apply(vars: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void;

  protected slot(varName: string, slotName: string, like: tf.Variable): tf.Variable {
    const key = `${varName}/${slotName}`;
    let s = this.slots.get(key);
    if (!s) {
      s = tf.variable(tf.zerosLike(like), false, `opt/${key}`);
      this.slots.set(key, s);
    }
    return s;
  }

  async readState(): Promise<NamedArray[]> {
    const slots = [...this.slots];
    const data = await readTensors(slots.map(([, v]) => v));
    return slots.map(([name, v], i) => ({ name, shape: v.shape.slice(), data: data[i] as Float32Array }));
  }

  writeState(state: NamedArray[], iterations: number): void {
    for (const s of this.slots.values()) s.dispose();
    this.slots.clear();
    for (const a of state) {
      this.slots.set(a.name, tf.variable(tf.tensor(a.data, a.shape, 'float32'), false, `opt/${a.name}`));
    }
    this.iterations = iterations;
  }

  dispose(): void {
    for (const s of this.slots.values()) s.dispose();
    this.slots.clear();
  }
}

/** SGD with momentum as Keras defines it: v = m*v - lr*g; w = w + v (Nesterov: w = w + m*v - lr*g). */
class MomentumSgd extends SlotOptimizer {
  apply(vars: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    const cfg = this.config as Extract<OptimizerConfig, { name: 'sgd' }>;
    const lr = this.learningRate;
    tf.tidy(() => {
      for (const [name, w] of vars) {
        const g = grads.get(name);
        if (!g) continue;
        if (cfg.momentum === 0) {
          w.assign(tf.sub(w, tf.mul(g, lr)));
          continue;
        }
        const v = this.slot(name, 'momentum', w);
        const vNew = tf.sub(tf.mul(v, cfg.momentum), tf.mul(g, lr));
        v.assign(vNew);
        w.assign(cfg.nesterov ? tf.sub(tf.add(w, tf.mul(vNew, cfg.momentum)), tf.mul(g, lr)) : tf.add(w, vNew));
      }
    });
    this.iterations++;
  }
}

/** Adam as Keras defines it (epsilon outside the square root, bias correction folded into the step). */
class Adam extends SlotOptimizer {
  apply(vars: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    const cfg = this.config as Extract<OptimizerConfig, { name: 'adam' }>;
    const t = this.iterations + 1;
    const eps = cfg.epsilon ?? 1e-7;
    const alpha = (this.learningRate * Math.sqrt(1 - cfg.beta2 ** t)) / (1 - cfg.beta1 ** t);
    tf.tidy(() => {
      for (const [name, w] of vars) {
        const g = grads.get(name);
        if (!g) continue;
        const m = this.slot(name, 'm', w);
        const v = this.slot(name, 'v', w);
        m.assign(tf.add(tf.mul(m, cfg.beta1), tf.mul(g, 1 - cfg.beta1)));
        v.assign(tf.add(tf.mul(v, cfg.beta2), tf.mul(tf.square(g), 1 - cfg.beta2)));
        w.assign(tf.sub(w, tf.div(tf.mul(m, alpha), tf.add(tf.sqrt(v), eps))));
      }
    });
    this.iterations = t;
  }
}
