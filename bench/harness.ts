/**
 * A small, fair timing harness: every contender runs the same workload in interleaved rounds
 * (so drift in machine load hits all of them alike), and the median round is reported.
 */
export interface Contender {
  name: string;
  /** Performs one operation; `i` is the operation's index within the round. */
  op: (i: number) => Promise<unknown> | unknown;
  setup?: () => Promise<void> | void;
}

export interface Result {
  name: string;
  opsPerSecond: number;
}

export async function race(contenders: Contender[], { rounds = 7, opsPerRound = 20_000, warmup = 2 } = {}): Promise<Result[]> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (const contender of contenders) await contender.setup?.();
  for (let round = 0; round < warmup + rounds; round++) {
    for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const started = performance.now();
      for (let i = 0; i < opsPerRound; i++) await contender.op(round * opsPerRound + i);
      const seconds = (performance.now() - started) / 1000;
      if (round >= warmup) samples.get(contender.name)!.push(opsPerRound / seconds);
    }
  }
  return contenders.map((c) => ({ name: c.name, opsPerSecond: median(samples.get(c.name)!) }));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function formatRate(opsPerSecond: number): string {
  return opsPerSecond >= 1e6 ? `${(opsPerSecond / 1e6).toFixed(2)} M/s` : `${(opsPerSecond / 1e3).toFixed(1)} k/s`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ")).join("\n");
}
