// All-reduce benchmark: the gRPC ring of @jvae/gradsync with 2 and 4 ranks,
// each a separate process on loopback, against two baselines measured in the
// same run: one raw TCP stream between two processes, and raw grpc-js between
// two processes streaming to each other at once (what two ranks do, without
// the ring's work: the most grpc-js carries here).
//
//   npm run bench:allreduce [-- --json --ranks 2,4 --mb 1,4,16,64 --segment-bytes N --float16]
//
// Bus bandwidth is the usual all-reduce figure: bytes × 2(N−1)/N / time, the
// data each rank has to send, per second (MB/s, 10^6 bytes); with --float16
// the vectors travel at half the bytes but `bytes` stays the float32 size.
// Time is the slowest rank's, per operation, the median of several
// back-to-back operations after two for warm-up. The TCP figure is the median
// rate of sending the same number of bytes to a process that acknowledges
// them with one byte; the gRPC one the rate of each direction. --json prints
// one row per ring and size: ranks, bytes, busBandwidth, ratioVsTcp, plus
// tcpBandwidth, grpcBandwidth, ratioVsGrpc, float16 and the spread (min, max)
// of the bus bandwidth over the operations.
import { parseArgs } from 'node:util';
import { BenchChild } from './bench-child.js';

const RANK_SCRIPT = new URL('./allreduce-rank.ts', import.meta.url).pathname;
const spawnRank = () => new BenchChild(RANK_SCRIPT);
const MB = 1e6;
const WARMUP = 2;
/** Repetitions per size: enough operations to take a median, few enough to keep the run under two minutes. */
const repsFor = (bytes: number) => Math.max(4, Math.min(20, Math.round((192 * MB) / bytes)));

interface Row {
  ranks: number;
  bytes: number;
  busBandwidth: number;
  ratioVsTcp: number;
  tcpBandwidth: number;
  grpcBandwidth: number;
  ratioVsGrpc: number;
  float16: boolean;
  spread: [number, number];
}

/** Median rate of each baseline, by size. */
interface Baselines {
  tcp: Map<number, number>;
  grpc: Map<number, number>;
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      ranks: { type: 'string', default: '2,4' },
      mb: { type: 'string', default: '1,4,16,64' },
      'segment-bytes': { type: 'string' },
      float16: { type: 'boolean', default: false },
    },
  });
  const list = (name: string, raw: string, min: number) =>
    raw.split(',').map((part) => {
      const value = Number(part);
      if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${name}: expected integers >= ${min}, got '${raw}'`);
      return value;
    });
  const segment = values['segment-bytes'];
  return {
    json: values.json!,
    ranks: list('ranks', values.ranks!, 2),
    // Multiples of 4 MiB / 1 MiB keep every rank's chunk a whole number of floats.
    sizes: list('mb', values.mb!, 1).map((mb) => mb * (1 << 20)),
    segmentBytes: segment === undefined ? undefined : list('segment-bytes', segment, 8)[0],
    float16: values.float16!,
  };
}

type Run = { seconds: number[]; check: number };

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** How a baseline's two child processes are linked, and which of them time transfers. */
interface Pair {
  setUp(a: BenchChild, b: BenchChild): Promise<void>;
  /** Called before each size; returns the children that run it. */
  before(bytes: number, a: BenchChild, b: BenchChild): Promise<BenchChild[]>;
}

const TCP: Pair = {
  async setUp(source, sink) {
    const { port } = await sink.ask<{ port: number }>({ role: 'tcp-sink' });
    await source.ask({ role: 'tcp-source', port });
  },
  async before(bytes, source, sink) {
    await sink.ask({ expect: bytes });
    return [source];
  },
};

const GRPC: Pair = {
  async setUp(a, b) {
    const [pa, pb] = await Promise.all([a.ask<{ port: number }>({ role: 'grpc-pair' }), b.ask<{ port: number }>({ role: 'grpc-pair' })]);
    await Promise.all([a.ask({ peer: pb.port }), b.ask({ peer: pa.port })]);
  },
  before: async (_bytes, a, b) => [a, b],
};

/** Median rate (MB/s) of moving each size between two child processes. */
async function pairRates(sizes: number[], pair: Pair): Promise<Map<number, number>> {
  const a = spawnRank();
  const b = spawnRank();
  try {
    await pair.setUp(a, b);
    const rates = new Map<number, number>();
    for (const bytes of sizes) {
      const runners = await pair.before(bytes, a, b);
      const runs = await Promise.all(runners.map((c) => c.ask<Run>({ run: { bytes, reps: repsFor(bytes), warmup: WARMUP } })));
      rates.set(bytes, median(runs.map((r) => bytes / median(r.seconds) / MB)));
    }
    return rates;
  } finally {
    a.stop();
    b.stop();
  }
}

interface RingSetting {
  segmentBytes?: number;
  float16: boolean;
}

async function ringRows(world: number, sizes: number[], base: Baselines, setting: RingSetting): Promise<Row[]> {
  const ranks = Array.from({ length: world }, () => spawnRank());
  try {
    const addresses = await Promise.all(
      ranks.map((r, rank) => r.ask<{ address: string }>({ role: 'ring', rank, world, ...setting })),
    );
    ranks.forEach((r, rank) => r.send({ predecessor: addresses[(rank + world - 1) % world].address }));
    const rows: Row[] = [];
    for (const bytes of sizes) {
      const reps = repsFor(bytes);
      const runs = await Promise.all(ranks.map((r) => r.ask<Run>({ run: { bytes, reps, warmup: WARMUP } })));
      const expected = (world * (world + 1)) / 2;
      const wrong = runs.find((run) => run.check !== expected);
      if (wrong) throw new Error(`${world} ranks, ${bytes} bytes: element 0 summed to ${wrong.check}, expected ${expected}`);
      const busBytes = (bytes * 2 * (world - 1)) / world;
      const rates = Array.from({ length: reps }, (_, i) => busBytes / Math.max(...runs.map((run) => run.seconds[i])) / MB);
      const busBandwidth = median(rates);
      const tcpBandwidth = base.tcp.get(bytes)!;
      const grpcBandwidth = base.grpc.get(bytes)!;
      rows.push({
        ranks: world,
        bytes,
        busBandwidth: Math.round(busBandwidth),
        ratioVsTcp: Number((busBandwidth / tcpBandwidth).toFixed(3)),
        tcpBandwidth: Math.round(tcpBandwidth),
        grpcBandwidth: Math.round(grpcBandwidth),
        ratioVsGrpc: Number((busBandwidth / grpcBandwidth).toFixed(3)),
        float16: setting.float16,
        spread: [Math.round(Math.min(...rates)), Math.round(Math.max(...rates))],
      });
    }
    return rows;
  } finally {
    ranks.forEach((r) => r.stop());
  }
}

async function main(): Promise<void> {
  const options = readOptions();
  const started = Date.now();
  const base: Baselines = { tcp: await pairRates(options.sizes, TCP), grpc: await pairRates(options.sizes, GRPC) };
  const settings: RingSetting[] = [{ segmentBytes: options.segmentBytes, float16: false }];
  if (options.float16) settings.push({ segmentBytes: options.segmentBytes, float16: true });
  const rows: Row[] = [];
  for (const setting of settings) {
    for (const world of options.ranks) rows.push(...(await ringRows(world, options.sizes, base, setting)));
  }
  if (options.json) {
    console.log(JSON.stringify(rows));
    return;
  }
  console.log(`ring all-reduce over gRPC on loopback, one process per rank (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  console.log('ranks  wire       bytes   bus MB/s (min–max)   TCP MB/s  ratio   gRPC pair MB/s  ratio');
  for (const row of rows) {
    console.log(
      `${String(row.ranks).padStart(5)}  ${row.float16 ? 'float16' : 'float32'} ${`${row.bytes / (1 << 20)} MiB`.padStart(8)} ` +
        `${String(row.busBandwidth).padStart(10)} (${row.spread[0]}–${row.spread[1]})`.padEnd(31) +
        `${String(row.tcpBandwidth).padStart(7)}  ${row.ratioVsTcp.toFixed(2)}  ${String(row.grpcBandwidth).padStart(15)}  ${row.ratioVsGrpc.toFixed(2)}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
