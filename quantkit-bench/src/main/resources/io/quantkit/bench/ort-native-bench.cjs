'use strict';
// Native ONNX Runtime baseline for quantkit's benchmarks: runs one .onnx file through
// onnxruntime-node (ONNX Runtime's C++ build, no JVM) on the same input batch, threads and spinning
// as the JMH benchmarks, and prints one JSON line: {"ortVersion": ..., "samples": [wall-clock us per
// call, one per measured iteration], "cpuSamples": [process CPU us per call]}. Timing matches JMH's
// AverageTime mode: each iteration runs calls back to back for a fixed time and reports the mean
// time per call.
//
// node ort-native-bench.cjs --model M.onnx --input in.f32 --batch 32 --threads 1 --spin 0
//      [--warmup-iterations 2 --warmup-ms 500 --iterations 3 --iteration-ms 500]
const fs = require('fs');
const ort = require('onnxruntime-node');

function args() {
  const out = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    if (!a[i].startsWith('--') || i + 1 >= a.length) {
      throw new Error('expected --name value pairs, got ' + a.slice(i).join(' '));
    }
    out[a[i].slice(2)] = a[i + 1];
  }
  for (const required of ['model', 'input', 'batch', 'threads', 'spin']) {
    if (out[required] === undefined) {
      throw new Error('missing --' + required);
    }
  }
  return out;
}

async function timedIteration(session, feeds, millis) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(millis * 1e6));
  let calls = 0;
  let now;
  do {
    await session.run(feeds);
    calls++;
    now = process.hrtime.bigint();
  } while (now < end);
  const used = process.cpuUsage(cpu);
  return { wall: Number(now - start) / 1e3 / calls, cpu: (used.user + used.system) / calls };
}

async function main() {
  const a = args();
  const batch = parseInt(a.batch, 10);
  const spin = a.spin === '1' || a.spin === 'true';
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: parseInt(a.threads, 10),
    // Same session config entries as quantkit's ONNX Runtime backend sets for busyWait(false).
    extra: spin ? {} : { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  const session = await ort.InferenceSession.create(a.model, options);
  const raw = fs.readFileSync(a.input);
  const pixels = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const perImage = pixels.length / batch;
  if (!Number.isInteger(perImage) || perImage !== 32 * 32 * 3) {
    throw new Error(a.input + ' holds ' + pixels.length + ' floats, not ' + batch + ' images of 32x32x3');
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', pixels, [batch, 32, 32, 3]) };
  for (let i = 0; i < parseInt(a['warmup-iterations'] || '2', 10); i++) {
    await timedIteration(session, feeds, parseFloat(a['warmup-ms'] || '500'));
  }
  const samples = [];
  const cpuSamples = [];
  for (let i = 0; i < parseInt(a.iterations || '3', 10); i++) {
    const t = await timedIteration(session, feeds, parseFloat(a['iteration-ms'] || '500'));
    samples.push(t.wall);
    cpuSamples.push(t.cpu);
  }
  await session.release();
  const version = require('onnxruntime-node/package.json').version;
  process.stdout.write(JSON.stringify({ ortVersion: version, samples, cpuSamples }) + '\n');
}

main().catch((e) => {
  process.stderr.write('ort-native-bench: ' + (e && e.message ? e.message : String(e)) + '\n');
  process.exit(1);
});
