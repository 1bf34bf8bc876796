/**
 * Reading tensors back to the CPU. Every read in training, validation, inference, checkpoints and the
 * analyses is asynchronous (`await data()`): tfjs's webgpu backend cannot read synchronously outside a
 * browser (webgpu.ts), and a synchronous read would block the event loop while a GPU finishes. Several
 * tensors wanted together go in one read, so a GPU backend waits for its queue and maps a buffer once.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The values of `tensors`, each flattened, as float32, from one read (one GPU-to-CPU transfer however
 * many there are). The tensors stay the caller's; the arrays are the caller's too (views of one buffer).
 */
export async function readTensors(tensors: readonly tf.Tensor[]): Promise<Float32Array[]> {
  const [only] = tensors;
  if (only === undefined) return [];
  if (tensors.length === 1 && only.dtype === 'float32') return [(await only.data()) as Float32Array];
  const all = tf.tidy(() => tf.concat(tensors.map((t) => tf.reshape(t.dtype === 'float32' ? t : tf.cast(t, 'float32'), [-1]))));
  let data: Float32Array;
  try {
    data = (await all.data()) as Float32Array;
  } finally {
    all.dispose();
  }
  let at = 0;
  return tensors.map((t) => data.subarray(at, (at += t.size)));
}

/**
 * Computes a tensor in a tidy, reads it as float32 and disposes it: the asynchronous form of
 * `tf.tidy(() => f().dataSync())` (a tidy cannot span an await).
 */
export async function readComputed(f: () => tf.Tensor): Promise<Float32Array> {
  const t = tf.tidy(() => {
    const y = f();
    return y.dtype === 'float32' ? y : tf.cast(y, 'float32');
  });
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}
