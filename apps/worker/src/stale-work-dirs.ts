import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A trial attempt's temporary directory: `jvae-<pid of its worker>-<trial id>-<random>`. */
const ATTEMPT_DIR = /^jvae-(\d+)-/;

/** The prefix of an attempt directory of this process, for `mkdtemp`. */
export function attemptDirPrefix(trialId: string): string {
  return `jvae-${process.pid}-${trialId}-`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the attempt directories in `workDir` whose worker process is gone (a worker
 * killed with SIGKILL cannot remove its own); the trial itself resumes elsewhere from
 * its uploaded checkpoint. Returns the names removed.
 */
export async function removeStaleWorkDirs(workDir: string, alive: (pid: number) => boolean = processAlive): Promise<string[]> {
  const entries = await readdir(workDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const stale = entries.filter((entry) => {
    const pid = entry.isDirectory() ? ATTEMPT_DIR.exec(entry.name)?.[1] : undefined;
    return pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid));
  });
  await Promise.all(stale.map((entry) => rm(join(workDir, entry.name), { recursive: true, force: true })));
  return stale.map((entry) => entry.name);
}
