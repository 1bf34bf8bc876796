/** What is kept of a trainer's output: the tail of stderr, whole lines for the log, and a crash's summary. */
import { describe, expect, it } from 'vitest';
import { LineSplitter, OutputTail, stderrSummary, withStderr } from '../../src-main/lab/trainerOutput';

/** The end of a trainer's stderr after an uncaught exception, as Node 20 writes it (with tfjs's banner first). */
const UNCAUGHT = [
  '============================',
  'Hi, looks like you are running TensorFlow.js in Node.js. To speed things up dramatically, install our node backend, visit https://github.com/tensorflow/tfjs-node for more details. ',
  '============================',
  'file:///app/dist/main/training/trainerProcess.js:812',
  '      throw new Error(`checkpoint ${file} is damaged`);',
  '            ^',
  '',
  'Error: checkpoint /runs/r1/checkpoints/last.bin is damaged',
  '    at loadCheckpoint (file:///app/dist/main/training/trainerProcess.js:812:13)',
  '    at async train (file:///app/dist/main/training/trainerProcess.js:990:5)',
  '',
  'Node.js v20.19.5',
  '',
].join('\n');

describe('trainer output', () => {
  it('keeps only the last bytes of stderr, however it arrives', () => {
    const tail = new OutputTail(10);
    tail.push('0123456789');
    tail.push(Buffer.from('abc'));
    expect(tail.text()).toBe('3456789abc');
    tail.push('x'.repeat(25));
    expect(tail.text()).toBe('x'.repeat(10));
  });

  it('splits chunks into whole lines and gives the unfinished one on flush', () => {
    const split = new LineSplitter();
    expect(split.push('one\r\ntw')).toEqual(['one']);
    expect(split.push(Buffer.from('o\nthr'))).toEqual(['two']);
    expect(split.flush()).toEqual(['thr']);
    expect(split.flush()).toEqual([]);
  });

  it("sums up a crash: the error's own lines, without stack frames, banners or Node's footer", () => {
    expect(stderrSummary(UNCAUGHT)).toBe(
      'file:///app/dist/main/training/trainerProcess.js:812 | throw new Error(`checkpoint ${file} is damaged`); | Error: checkpoint /runs/r1/checkpoints/last.bin is damaged',
    );
    expect(withStderr('the trainer process exited with code 1 before finishing the run', UNCAUGHT)).toMatch(
      /^the trainer process exited with code 1 before finishing the run; last stderr: file:.* \| Error: checkpoint \/runs\/r1\/checkpoints\/last\.bin is damaged$/,
    );
  });

  it('leaves the reason alone when stderr said nothing, and cuts a long summary from the front', () => {
    expect(withStderr('killed', '')).toBe('killed');
    expect(withStderr('killed', undefined)).toBe('killed');
    expect(withStderr('killed', '\n   at x (y:1:1)\n')).toBe('killed');
    const long = stderrSummary(`${'a'.repeat(1000)}\nthe end\n`, 6, 100);
    expect(long).toHaveLength(100);
    expect(long.startsWith('…')).toBe(true);
    expect(long.endsWith(' | the end')).toBe(true);
  });

  it("adds only what the reason does not already say; libtensorflow's info lines are not news", () => {
    // The trainer printed the error it also reported: nothing new.
    expect(withStderr('checkpoint /runs/r1/checkpoints/last.bin is damaged', UNCAUGHT.split('\n').slice(7).join('\n'))).toBe(
      'checkpoint /runs/r1/checkpoints/last.bin is damaged',
    );
    const info = '2026-11-30 10:20:00.000001: I tensorflow/core/platform/cpu_feature_guard.cc:193] This TensorFlow binary is optimized with oneAPI\n';
    expect(withStderr('the loss became NaN', info)).toBe('the loss became NaN');
    expect(withStderr('the loss became NaN', `${info}E tensorflow: out of memory in cuBLAS\n`)).toBe('the loss became NaN; last stderr: E tensorflow: out of memory in cuBLAS');
  });
});
